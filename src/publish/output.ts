// The output folder as publish writes it.
//
// A build into a folder that does not exist yet (a fresh deploy, a new
// checkout, a lost folder) writes everything into a new sibling folder and
// renames it into place at the end: no file is written twice, none renamed
// one by one, and the whole site appears at once; a failed build leaves no
// half-written site behind. A build into an existing folder writes each
// changed file through a temporary name and a rename, so a web server
// serving the folder never sends half a file, and leaves unchanged files
// (and their mtimes, and ETags) alone.
//
// Writes are synchronous: the pages are written by the worker threads that
// render them, the rest is a handful of files.
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OutputError } from '../errors.ts';
import { outputErrorOf, removeQuietly, tempName } from '../fs-atomic.ts';

export interface Output {
  /** The output folder as configured. */
  readonly out: string;
  /** The folder written now: the output folder, or the fresh sibling that replaces it. */
  readonly root: string;
  /** True when root is a new folder that replaces `out` at the end. */
  readonly fresh: boolean;
}

/** Folders of the output that hold pages. */
export const OUTPUT_DIRS = ['articles', 'archive'] as const;

/** Starts writing the output: a fresh sibling folder when `out` does not exist, else `out` itself. */
export function openOutput(out: string): Output {
  let kind: 'missing' | 'folder' | 'other';
  try {
    kind = statSync(out).isDirectory() ? 'folder' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw outputErrorOf(err, out, 'cannot use the output folder');
    kind = 'missing';
  }
  if (kind === 'other') throw new OutputError(`${out}: error: the output folder is not a folder`);
  const fresh = kind === 'missing';
  const prefix = `.${path.basename(out)}.building-`;
  const root = fresh ? path.join(path.dirname(out), `${prefix}${process.pid}`) : out;
  try {
    if (fresh) {
      mkdirSync(path.dirname(out), { recursive: true });
      rmSync(root, { recursive: true, force: true });
      removeAbandoned(path.dirname(out), prefix);
    }
    for (const dir of OUTPUT_DIRS) mkdirSync(path.join(root, dir), { recursive: true });
  } catch (err) {
    if (fresh) rmSync(root, { recursive: true, force: true });
    throw outputErrorOf(err, out, 'cannot write the output folder');
  }
  return { out, root, fresh };
}

/** Fresh outputs left by builds that were killed (their process is gone). */
function removeAbandoned(parent: string, prefix: string): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // still building
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') continue; // another user's, alive
    }
    rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/**
 * Writes one file of the output (a path relative to it); returns whether its
 * bytes changed. Errors are the file system's, for the caller to sort out.
 */
export function writeOutputFile(output: Pick<Output, 'root' | 'fresh'>, rel: string, content: string | Uint8Array): boolean {
  const file = path.join(output.root, rel);
  if (output.fresh) {
    writeFileSync(file, content);
    return true;
  }
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  let old: Buffer | null = null;
  try {
    old = readFileSync(file);
  } catch {
    // missing or unreadable: write it
  }
  if (old?.equals(bytes)) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  return true;
}

/** Removes a file of the output. */
export function removeOutputFile(output: Pick<Output, 'root'>, rel: string): void {
  rmSync(path.join(output.root, rel), { force: true });
}

/** The files in each page folder of the output (none when fresh). */
export function existingPages(output: Output): Map<string, Set<string>> {
  const existing = new Map<string, Set<string>>();
  for (const dir of OUTPUT_DIRS) {
    let names: string[] = [];
    if (!output.fresh) {
      try {
        names = readdirSync(path.join(output.root, dir), { withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name);
      } catch {
        // created above; gone again means nothing is there
      }
    }
    existing.set(dir, new Set(names));
  }
  return existing;
}

/** Makes a fresh output appear in place of `out`. */
export function finishOutput(output: Output): void {
  if (!output.fresh) return;
  try {
    renameSync(output.root, output.out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Something created the folder meanwhile (another build): move the files in one by one.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw outputErrorOf(err, output.out, 'cannot write the output folder');
    mergeInto(output.root, output.out);
    rmSync(output.root, { recursive: true, force: true });
  }
}

function mergeInto(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) mergeInto(src, dst);
    else renameSync(src, dst);
  }
}

/** Drops a fresh output that will not be used (the build failed). */
export function abandonOutput(output: Output): void {
  if (!output.fresh) return;
  try {
    if (lstatSync(output.root).isDirectory()) rmSync(output.root, { recursive: true, force: true });
  } catch {
    // already gone
  }
}
