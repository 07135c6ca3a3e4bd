// The build stamp: what the last complete build read, and what it said.
//
// A build with nothing new (a cron job or a deploy hook that rebuilds every
// few minutes) reads 10,000 sources' records, asks the store about 10,000
// items and checks 10,000 pages, only to write nothing: over a second. The
// stamp lets it answer from one small file instead: when everything the last
// build read is as it was then, the build would do nothing and say what it
// said then, so it says that and stops.
//
// "Everything it read", each by what the file system says of it (size,
// modification time, inode: the same test the parse cache makes, never the
// bytes):
//   - the code that runs (dist/ as built, or src/ and the lockfile),
//   - the settings (the whole validated config, and where the store is),
//   - the templates folder,
//   - the articles folder as listed (every source's size and mtime; links
//     by their target),
//   - the output folder (its page folders and top-level files: a page
//     deleted there is written again by a real build),
//   - the store: the SQLite file and its journal. Another process that
//     writes anything there (a send, a subscriber) makes the next build a
//     real one. A PostgreSQL store cannot be told apart this way, so builds
//     on it never use the stamp.
// A source or template modified just before the reading is not trusted
// (timestamp granularity, see racy()): no stamp is written, and the next
// build is real. A build that failed, or could not write some page, writes no stamp;
// a real build removes the stamp before it changes anything, so one that is
// killed half-way leaves none behind.
import { type Dirent, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeQuietly, writeAtomic } from '../fs-atomic.ts';
import { sha256 } from '../corpus/cache.ts';
import { type SourceListing, type SourceRef, listSources } from '../corpus/sources.ts';

const STAMP_VERSION = 2;

/**
 * A file modified this close before a reading may be modified again within
 * the same timestamp tick, unseen (git's "racily clean" entries): it is not
 * trusted. A timestamp in whole seconds may come from a file system that
 * keeps nothing finer (FAT, some network mounts): a second then; one with a
 * fraction of a second comes from a fine clock (Linux ticks in a few
 * milliseconds): 50 ms.
 */
function racy(mtimeMs: number, at: number): boolean {
  return mtimeMs >= at - (mtimeMs % 1000 === 0 ? 1000 : 50);
}

export interface StampInputs {
  articles: string;
  out: string;
  templates: string;
  /** Where the stamp is kept (`<data>/cache`). */
  cacheDir: string;
  /** Everything else the build is configured by (the validated config, the store's location); compared as JSON. */
  settings: unknown;
  /** Files whose state identifies the store (the SQLite file and its journals), or null when it cannot be told (PostgreSQL). */
  storeFiles: string[] | null;
}

/** What a build printed, and its exit code. */
export interface BuildOutcome {
  stdout: string;
  /** UTF-8 text; given back as the bytes stored, not decoded (megabytes for 10,000 sources). */
  stderr: string | Uint8Array;
  exit: number;
}

/** The articles and templates as a build is about to read them. */
export interface Reading {
  inputs: StampInputs;
  /** The articles folder's listing: the build reads this one (no second walk). */
  listing: SourceListing;
  /** What the reading holds besides the sources: code, settings, templates. */
  fixed: string;
  /** A line per source (`rel \t size \t mtime \t absolute`), then one per refused entry, in listing order. */
  sources: string[];
  /** False when some source or template was modified too recently to be trusted later. */
  settled: boolean;
}

/** What a build that published leaves for the next one to bring up to date in place (patch.ts). */
export interface PatchBase {
  /** The summary line of stdout (sources, articles, diagnostics). */
  summary: string;
  /** The ids of the articles the feeds and listing pages show (the newest, site.itemLimit of them). */
  lead: string[];
  /** The sources the build rejected (their own errors, or an article id another source has). */
  rejected: string[];
}

/** The stamp; what the build wrote to stderr (a line per diagnostic: megabytes) and the source lines are kept beside it. */
interface Stamp {
  version: number;
  out: string;
  /** sha256 of Reading.fixed. */
  fixed: string;
  after: string;
  stdout: string;
  exit: number;
  /** sha256 of the stderr file, which is written first. */
  stderr: string;
  /** sha256 of the sources file (Reading.sources, a line each). */
  sources: string;
  patch: PatchBase | null;
}

function stampFile(inputs: StampInputs, ext = 'json'): string {
  return path.join(inputs.cacheDir, `build-${sha256(path.resolve(inputs.out)).slice(0, 16)}.${ext}`);
}

/** `size mtime inode` of a path, `-` when it is not there, `!CODE` when it cannot be looked at (the real build says why). */
function stateOf(file: string): string {
  try {
    const s = statSync(file, { throwIfNoEntry: false });
    return s ? `${s.size} ${s.mtimeMs} ${s.ino}` : '-';
  } catch (err) {
    return `!${(err as NodeJS.ErrnoException).code}`;
  }
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Every file under `dir` (sub-folders too), by relative path in name order, with its state; none when the folder cannot be read. */
function filesUnder(dir: string): Array<{ rel: string; size: number; mtimeMs: number; ino: number }> {
  const out: Array<{ rel: string; size: number; mtimeMs: number; ino: number }> = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort(byName)) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        walk(child);
        continue;
      }
      let s;
      try {
        s = statSync(path.join(dir, child), { throwIfNoEntry: false });
      } catch {
        continue; // what cannot be looked at, the real build reports
      }
      if (s) out.push({ rel: child, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
    }
  };
  walk('');
  return out;
}

/**
 * The code that runs: dist/ records which sources it was built from (and
 * the bin runs it only when that matches src/); run from the sources, every
 * file of src/ and the lockfile.
 */
function codeState(): string | null {
  const here = fileURLToPath(import.meta.url);
  let dir = path.dirname(here);
  while (path.basename(dir) !== 'src' && path.basename(dir) !== 'dist' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const root = path.dirname(dir);
  if (path.basename(dir) === 'dist') {
    try {
      return `dist ${root}\n${readFileSync(path.join(dir, '.sources.json'), 'utf8')}`;
    } catch {
      return null; // no record of what it was built from
    }
  }
  const lines = [`src ${root}`, `lock ${stateOf(path.join(root, 'package-lock.json'))}`];
  for (const f of filesUnder(dir)) lines.push(`${f.rel} ${f.size} ${f.mtimeMs} ${f.ino}`);
  return lines.join('\n');
}

/**
 * Lists the articles and takes the state of the code, settings and
 * templates, before the build reads them. Throws what listing the articles
 * throws (a missing folder), as the build would.
 */
export function takeReading(inputs: StampInputs, clock: () => number = Date.now): Reading {
  const at = clock();
  const listing = listSources(inputs.articles);
  const code = codeState();
  let settled = code !== null;
  const lines = [`v${STAMP_VERSION}`, code ?? '', JSON.stringify(inputs.settings), `templates ${inputs.templates}`];
  // The templates folder, sub-folders (partials) included; the engine reports a missing one.
  for (const f of filesUnder(inputs.templates)) {
    if (racy(f.mtimeMs, at)) settled = false;
    lines.push(`${f.rel} ${f.size} ${f.mtimeMs} ${f.ino}`);
  }
  lines.push(`articles ${inputs.articles}`);
  const fixed = lines.join('\n');
  const sources: string[] = [];
  for (const r of listing.refs) {
    if (racy(r.mtimeMs, at)) settled = false;
    sources.push(`${r.rel}\t${r.size}\t${r.mtimeMs}\t${r.absolute}`);
  }
  for (const r of listing.refused) sources.push(`${r.rel}\t!${r.diagnostic.code}\t${r.diagnostic.message}`);
  return { inputs, listing, fixed, sources, settled };
}

/** The output folder and the store as a build left them. */
function afterState(inputs: StampInputs): string | null {
  if (inputs.storeFiles === null) return null;
  const lines = inputs.storeFiles.map((f) => `${f} ${stateOf(f)}`);
  lines.push(`out ${stateOf(inputs.out)}`);
  for (const dir of ['articles', 'archive']) lines.push(`${dir} ${stateOf(path.join(inputs.out, dir))}`);
  let entries;
  try {
    entries = readdirSync(inputs.out, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries.sort(byName)) {
    if (e.isFile()) lines.push(`${e.name} ${stateOf(path.join(inputs.out, e.name))}`);
  }
  return lines.join('\n');
}

function readStamp(inputs: StampInputs): Stamp | null {
  try {
    const s = JSON.parse(readFileSync(stampFile(inputs), 'utf8')) as Stamp;
    return s.version === STAMP_VERSION && s.out === path.resolve(inputs.out) ? s : null;
  } catch {
    return null;
  }
}

/** What the last build printed, as its stamp keeps it: its stderr is the file beside the stamp, with this hash. */
export interface StampedOutcome extends BuildOutcome {
  stderrHash: string;
}

/** The last build, as the stamp tells it, next to a reading taken now. */
export interface SinceLastBuild {
  /** What it printed, and its exit code. */
  outcome: StampedOutcome;
  /** What a patch of it needs (patch.ts); null when the stamp was recorded without. */
  base: PatchBase | null;
  /** The sources whose size or modification time changed since, as listed now. */
  changed: SourceRef[];
  /**
   * Nothing it read changed and the reading can be trusted (settled): the
   * build would write nothing, and says what the last one said.
   */
  unchanged: boolean;
}

/**
 * Compares a reading with the last build's stamp. Null, build for real,
 * unless the code, settings and templates are as it read them, the output
 * and the store as it left them, and the sources the same files (none added,
 * removed, renamed or, when some changed, refused), changed at most in size
 * or modification time.
 */
export function sinceLastBuild(reading: Reading): SinceLastBuild | null {
  if (reading.inputs.storeFiles === null) return null;
  const stamp = readStamp(reading.inputs);
  if (stamp === null || stamp.fixed !== sha256(reading.fixed) || stamp.after !== afterState(reading.inputs)) return null;
  let stderr: Buffer;
  try {
    stderr = readFileSync(stampFile(reading.inputs, 'stderr'));
  } catch {
    return null;
  }
  if (sha256(stderr) !== stamp.stderr) return null;
  const outcome: StampedOutcome = { stdout: stamp.stdout, stderr, exit: stamp.exit, stderrHash: stamp.stderr };
  const now = reading.sources;
  if (sha256(now.join('\n')) === stamp.sources) return { outcome, base: stamp.patch, changed: [], unchanged: reading.settled };

  // Which sources changed. A reading that is not settled is fine here: what
  // was modified too recently is among them (the others have the times the
  // last, settled, reading saw), and they are read again.
  let before: string[];
  try {
    const text = readFileSync(stampFile(reading.inputs, 'sources'), 'utf8');
    if (sha256(text) !== stamp.sources) return null;
    before = text === '' ? [] : text.split('\n');
  } catch {
    return null;
  }
  const refs = reading.listing.refs;
  if (before.length !== now.length || reading.listing.refused.length > 0) return null;
  const changed: SourceRef[] = [];
  for (let i = 0; i < now.length; i++) {
    if (before[i] === now[i]) continue;
    // The same file (same name, same place) with another size or time; anything else is a real build's.
    const was = before[i]!.split('\t');
    const ref = refs[i]!;
    if (was.length !== 4 || was[0] !== ref.rel || was[3] !== ref.absolute) return null;
    changed.push(ref);
  }
  return { outcome, base: stamp.patch, changed, unchanged: false };
}

/**
 * Removes the stamp: a build is about to change the output or the store.
 * Its own file only: the stderr and sources files beside it count only
 * through the hashes a stamp names, and a build that says what the last one
 * said (a patch) keeps the stderr file rather than write megabytes again.
 * Quietly: a cache folder that cannot be written (read-only, full) is for
 * the real build to report, with its own error. A stamp left behind is
 * harmless, since it answers only while the output and the store are
 * exactly as it describes them.
 */
export function clearStamp(inputs: StampInputs): void {
  removeQuietly(stampFile(inputs));
}

/**
 * Records a finished build: what it read (taken before it read) and what
 * it said. Nothing is recorded when the reading was not settled or the
 * store cannot be told apart. Call once the store is closed (its journal
 * is then folded into the file).
 */
export async function recordStamp(reading: Reading, outcome: BuildOutcome | StampedOutcome, patch: PatchBase | null = null): Promise<void> {
  if (!reading.settled) return;
  const after = afterState(reading.inputs);
  if (after === null) return;
  // The last build's stderr, said again: its file is still there (clearStamp keeps it), and its hash checks it.
  let stderrHash = 'stderrHash' in outcome ? outcome.stderrHash : null;
  if (stderrHash === null) {
    const stderr = typeof outcome.stderr === 'string' ? Buffer.from(outcome.stderr) : outcome.stderr;
    await writeAtomic(stampFile(reading.inputs, 'stderr'), stderr);
    stderrHash = sha256(stderr);
  }
  const sources = reading.sources.join('\n');
  await writeAtomic(stampFile(reading.inputs, 'sources'), sources);
  const stamp: Stamp = {
    version: STAMP_VERSION,
    out: path.resolve(reading.inputs.out),
    fixed: sha256(reading.fixed),
    after,
    stdout: outcome.stdout,
    exit: outcome.exit,
    stderr: stderrHash,
    sources: sha256(sources),
    patch,
  };
  await writeAtomic(stampFile(reading.inputs), JSON.stringify(stamp));
}
