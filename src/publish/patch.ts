// Bringing the last build up to date in place, when all that changed since
// is the text of a few sources (a correction to an article, the usual edit):
// the build stamp (stamp.ts) says which sources, and that nothing else the
// build reads or wrote changed. A real build would read 10,000 entries of
// the parse cache, ask the store about 10,000 items and check 10,000 page
// keys, only to render the edited articles' pages again. This does that
// part alone:
//   1. parses the changed sources (on this thread);
//   2. checks that what the rest of the site shows of them is unchanged: the
//      same articles (ids, lines, titles, dates), the same diagnostics, none
//      of them in the feeds or on the listing pages (the newest few), each
//      with its page;
//   3. records the new readings in the store, as a whole reading would for
//      these items, and renders their pages again;
//   4. updates their parse-cache entries and page keys.
// It gives up (null) whenever a real build could write anything else; the
// caller then builds for real. It gives up before writing, except when the
// store refuses the update or a page cannot be written: what it wrote then
// is what a real build writes for these articles, and the real build that
// follows finishes the job. tests/build/patch.test.ts checks that its output
// is byte for byte a real build's.
import { type ManifestSource, type ParseCache, entryAfterReading } from '../corpus/cache.ts';
import type { ItemRecord, ItemStore } from '../corpus/history.ts';
import { LocalHost, type SourceJob, loadParser, sourceJob } from '../corpus/host.ts';
import type { SourceRef } from '../corpus/sources.ts';
import type { ParseSettings } from '../parse/input.ts';
import { slugOf } from '../site/ids.ts';
import type { Site } from '../site/site.ts';
import { outputFile, sitePath } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { writeOutputFile } from './output.ts';
import { adopt, pageRenderer } from './page-task.ts';
import { articlePageKey, readPageRecord, renderKeyOf, writePageRecord } from './publish.ts';

/** More changed sources than this: a real build (it shares them out to the worker threads). */
export const PATCH_MAX_SOURCES = 50;

export interface PatchDeps {
  /** The output folder. */
  out: string;
  /** Where the parse cache and the page records live (`<data>/cache`). */
  cacheDir: string;
  cache: ParseCache;
  /** The parse cache's key for this parser and these settings (corpus.parseKeyOf). */
  parseKey: string;
  parse: ParseSettings;
  items: ItemStore;
  site: Site;
  engine: TemplateEngine;
  /** Hash of the rendering code (cache.rendererCodeKey). */
  codeKey: string;
  now: Date;
  /** Called once, before anything is written (the build removes its stamp). */
  beforeWriting: () => void;
}

export interface PatchReport {
  pagesWritten: number;
  changedFiles: string[];
  /** Sources whose bytes changed (parsed again). */
  reparsed: number;
}

/** An article whose text changed, and where its page is. */
interface Edited {
  record: ItemRecord;
  job: SourceJob;
  file: string;
  slug: string;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Brings the site up to date with `changed` (the only sources that changed
 * since the last build, as the stamp says) when only their articles' text
 * changed; null when a real build is needed.
 */
export async function patchSite(
  changed: SourceRef[],
  last: { lead: ReadonlySet<string>; rejected: ReadonlySet<string> },
  deps: PatchDeps,
): Promise<PatchReport | null> {
  if (changed.length === 0 || changed.length > PATCH_MAX_SOURCES) return null;
  // A source the last build rejected, for its own errors or for an article id another source has: its articles are not on the site.
  if (changed.some((ref) => last.rejected.has(ref.source))) return null;
  const manifest = await deps.cache.readManifest(deps.parseKey, changed.map((r) => r.source));
  const olds = changed.map((ref) => manifest.sources[ref.source]);
  if (olds.some((old) => old === undefined || old.rejected)) return null;
  const firstSeen = await deps.items.sourcesFirstSeenOf(changed.map((r) => r.rel));
  if (changed.some((r) => !firstSeen.has(r.rel))) return null;

  // 1. Parse.
  await loadParser();
  const host = new LocalHost({ parseKey: deps.parseKey, settings: deps.parse });
  const jobs = changed.map((ref, i) => sourceJob(ref, firstSeen.get(ref.rel)!, olds[i]!.key));
  const results = host.parse(jobs);

  // 2. Only the text changed, and no listing shows it.
  const record = await readPageRecord(deps.cacheDir, deps.out);
  if (record === null || record.renderKey !== renderKeyOf(deps.engine, deps.site, deps.codeKey)) return null;
  const entries: Record<string, ManifestSource> = {};
  const edited: Edited[] = [];
  let reparsed = 0;
  for (let i = 0; i < changed.length; i++) {
    const ref = changed[i]!;
    const old = olds[i]!;
    const summary = results[i]!.summary;
    // As a real build makes it; when the bytes are the same (touched, saved unchanged), only the size and time are new.
    entries[ref.source] = entryAfterReading(ref, old, summary);
    if (summary === null) continue;
    reparsed++;
    if (summary.rejected || summary.articles.length !== old.articles.length || !sameJson(summary.diagnostics, old.diagnostics)) return null;
    for (let k = 0; k < summary.articles.length; k++) {
      const [id, line, title, date, hash] = summary.articles[k]!;
      const [oldId, oldLine, oldTitle, oldDate, oldHash] = old.articles[k]!;
      if (id !== oldId || line !== oldLine || title !== oldTitle || date !== oldDate) return null;
      if (hash === oldHash) continue;
      if (last.lead.has(id)) return null;
      // Its page, rendered from the version before (not left out as a duplicate page).
      const slug = slugOf(id);
      const file = outputFile(sitePath.article(slug));
      if (!record.pages[file]?.startsWith(`${oldHash} `)) return null;
      // Rendered from the parse just made (the job names its key; with the old one the host would read the file again).
      edited.push({ record: { id, source: ref.rel, hash, title, published: date }, job: { ...jobs[i]!, key: results[i]!.key }, file, slug });
    }
  }

  // 3. The store, then the pages.
  deps.beforeWriting();
  const states = await deps.items.updateItems(
    edited.map((e) => e.record),
    deps.now,
  );
  if (states === null) return null;
  adopt(deps.engine);
  const render = pageRenderer({ templates: deps.engine.sources, templatesDir: deps.engine.dir, site: deps.site });
  const output = { root: deps.out, fresh: false };
  // Updated in place: copying 10,000 keys costs more than all the rest.
  const pages = record.pages;
  const changedFiles: string[] = [];
  try {
    for (const e of edited) {
      const state = states.get(e.record.id)!;
      const html = render(host.article(e.job, e.record.id), { file: e.file, slug: e.slug, lastChanged: state.lastChanged });
      if (writeOutputFile(output, e.file, html)) changedFiles.push(e.file);
      pages[e.file] = articlePageKey({ hash: e.record.hash, state });
    }
  } catch {
    // A page that cannot be written: the real build reports it (and rejects its source).
    return null;
  }

  // 4. The parse cache and the page record.
  // The shards read hold these sources' neighbours too, unchanged: only these shards are written.
  for (const [source, entry] of Object.entries(entries)) manifest.sources[source] = entry;
  await deps.cache.writeManifest({ version: manifest.version, parseKey: deps.parseKey, sources: manifest.sources });
  if (edited.length > 0) await writePageRecord(deps.cacheDir, deps.out, { renderKey: record.renderKey, pages, listing: record.listing });
  return { pagesWritten: edited.length, changedFiles, reparsed };
}
