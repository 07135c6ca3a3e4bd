// The publish stage: a corpus → the output folder (feeds and pages).
//
// Every file is rendered only when what it is rendered from changed (the
// templates, the site settings and the rendering code, plus: an article
// page's article and its last change; a month's entries; the feeds' and
// listing pages' newest articles, months and total) or its file is gone.
// Article pages are rendered and written where their articles are
// (Corpus.visit: the worker threads for a full build) while this thread has
// the store record the reading and prepares the rest. Files no page claims
// any more are removed. A file is written only when its bytes change, so
// unchanged files keep their mtime (and their ETag); a new output folder is
// written whole and appears at once (output.ts).
//
// A page the file system refuses by name (too long, a folder in its place)
// rejects its source alone, with an error naming it; a folder that cannot be
// written at all (read-only, full) stops the build with an OutputError.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Corpus, PublishedArticle } from '../corpus/corpus.ts';
import { sha256 } from '../corpus/cache.ts';
import { toFeedItem } from '../feed/items.ts';
import type { FeedItem } from '../feed/model.ts';
import { outputErrorOf, writeAtomic } from '../fs-atomic.ts';
import type { Diagnostic } from '../model.ts';
import { type ArchiveMonth, LISTING_PAGES, archiveMonths, contentRenderer, renderArchiveMonth, renderListingPages } from '../pages/render.ts';
import { archiveEntryOf, listEntryOf } from '../pages/views.ts';
import { rfc3339 } from '../site/dates.ts';
import { FEEDS } from '../site/feeds.ts';
import { type Site, siteViewOf } from '../site/site.ts';
import { articleUrl, outputFile, sitePath } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type Output, abandonOutput, existingPages, finishOutput, openOutput, removeOutputFile, writeOutputFile } from './output.ts';
import { type PageJob, type PageResult, type PageTaskContext, adopt } from './page-task.ts';
import { newWriteTurn } from './write-turn.ts';

export interface PublishDeps {
  site: Site;
  engine: TemplateEngine;
  /** The output folder. */
  out: string;
  /** Where the record of what each page was rendered from is kept (`<data>/cache`). */
  cacheDir: string;
  /** Hash of the rendering code (cache.rendererCodeKey): new code renders every page again. */
  codeKey: string;
}

export interface PublishReport {
  /** Article and archive pages rendered this time. */
  pagesWritten: number;
  /** Files written or removed under the output folder (relative paths). */
  changedFiles: string[];
  /** The feeds' items, newest first, when the feeds were rendered this time (else empty: they were up to date). */
  feedItems: FeedItem[];
  /** The articles on the site: the corpus's, less those of sources rejected here. */
  published: PublishedArticle[];
  /** Sources rejected because a page of theirs could not be written. */
  rejected: string[];
  diagnostics: Diagnostic[];
  /** The ids of the articles the feeds and the listing pages show (the newest, site.itemLimit of them). */
  lead: string[];
}

/** What each page was rendered from, per output folder: pages whose inputs did not change are not rendered again. */
export interface PageRecord {
  /** Hash of the templates, the site settings and the rendering code: a change renders every page again. */
  renderKey: string;
  /** Page file → what it was rendered from. */
  pages: Record<string, string>;
  /** What the feeds and the listing pages were rendered from. */
  listing: string;
}

const RECORD_VERSION = 3;

function recordFile(cacheDir: string, out: string): string {
  return path.join(cacheDir, `pages-${sha256(path.resolve(out)).slice(0, 16)}.json`);
}

async function readRecord(file: string): Promise<PageRecord | null> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as PageRecord & { version?: number };
    return r.version === RECORD_VERSION ? r : null;
  } catch {
    return null;
  }
}

async function writeRecord(file: string, record: PageRecord): Promise<void> {
  try {
    await writeAtomic(file, JSON.stringify({ version: RECORD_VERSION, ...record }));
  } catch (err) {
    throw outputErrorOf(err, file, 'cannot write the page record');
  }
}

/** The page record of an output folder, or null. */
export function readPageRecord(cacheDir: string, out: string): Promise<PageRecord | null> {
  return readRecord(recordFile(cacheDir, out));
}

export function writePageRecord(cacheDir: string, out: string, record: PageRecord): Promise<void> {
  return writeRecord(recordFile(cacheDir, out), record);
}

/** What an article page is rendered from, besides the templates and the site: the article and when it last changed. */
export function articlePageKey(a: { hash: string; state: { lastChanged: string | null } }): string {
  return `${a.hash} ${a.state.lastChanged ?? ''}`;
}

/** What every page is rendered with: the templates, the site settings and the rendering code. */
export function renderKeyOf(engine: TemplateEngine, site: Site, codeKey: string): string {
  return sha256(JSON.stringify(engine.sources), JSON.stringify(site), codeKey);
}

/** The page task's module, next to this one (.ts from the sources, .js once compiled); worker threads load it early. */
export const PAGE_TASK = new URL(`./page-task${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;

export async function publish(corpus: Corpus, deps: PublishDeps): Promise<PublishReport> {
  const output = openOutput(deps.out);
  try {
    const report = await publishInto(output, corpus, deps);
    try {
      finishOutput(output);
    } catch (err) {
      throw outputErrorOf(err, deps.out, 'cannot write the output folder');
    }
    return report;
  } catch (err) {
    abandonOutput(output);
    throw err;
  }
}

async function publishInto(output: Output, corpus: Corpus, deps: PublishDeps): Promise<PublishReport> {
  const { site, engine } = deps;
  const changedFiles: string[] = [];
  const write = (rel: string, content: string) => {
    try {
      if (writeOutputFile(output, rel, content)) changedFiles.push(rel);
    } catch (err) {
      throw outputErrorOf(err, path.join(deps.out, rel), 'cannot write the output folder');
    }
  };
  const remove = (rel: string) => {
    try {
      removeOutputFile(output, rel);
    } catch (err) {
      throw outputErrorOf(err, path.join(deps.out, rel), 'cannot write the output folder');
    }
  };

  const renderKey = renderKeyOf(engine, site, deps.codeKey);
  const recordPath = recordFile(deps.cacheDir, deps.out);
  const record = output.fresh ? null : await readRecord(recordPath);
  const previous = record?.renderKey === renderKey ? record.pages : {};
  const existing = existingPages(output);
  /** Whether the page `file` in `dir` exists and was rendered from `key`. */
  const isCurrent = (dir: string, name: string, file: string, key: string) => previous[file] === key && existing.get(dir)!.has(name);
  const pages: Record<string, string> = {};

  // 1. Article pages, where the articles are.
  const jobs: Array<{ id: string; input: PageJob }> = [];
  for (const a of corpus.articles) {
    const name = `${a.slug}.html`;
    const file = `articles/${name}`;
    const key = articlePageKey(a);
    pages[file] = key;
    if (!isCurrent('articles', name, file, key)) jobs.push({ id: a.id, input: { file, slug: a.slug, lastChanged: a.state.lastChanged } });
  }
  const context: PageTaskContext = {
    templates: engine.sources,
    templatesDir: engine.dir,
    site,
    root: output.root,
    fresh: output.fresh,
    writeTurn: newWriteTurn(),
  };
  const task = { module: PAGE_TASK, context };
  adopt(engine);
  const rendering = corpus.visit<PageJob, PageResult>(task, jobs);
  rendering.catch(() => undefined);
  const feedModule = import('../feed/render.ts');
  feedModule.catch(() => undefined);

  // 2. While the worker threads render: the store records this reading (an
  // article whose recorded state is not the one it was rendered with is
  // rendered again), and the months, feeds and listing pages are prepared.
  const late = await corpus.settle();
  const again: typeof jobs = [];
  // A page rendered just now with the forecast holds the forecast's state, whatever the record says: render it again.
  const renderedNow = new Set(jobs.map((j) => j.input.file));
  for (const a of late) {
    const name = `${a.slug}.html`;
    const file = `articles/${name}`;
    const key = articlePageKey(a);
    if (pages[file] === key) continue;
    pages[file] = key;
    if (renderedNow.has(file) || !isCurrent('articles', name, file, key)) again.push({ id: a.id, input: { file, slug: a.slug, lastChanged: a.state.lastChanged } });
  }
  const renderingAgain = corpus.visit<PageJob, PageResult>(task, again);
  renderingAgain.catch(() => undefined);

  // The archive months, the feeds and the listing pages, each only when what
  // it shows changed or its file is gone, so a build with nothing new renders
  // nothing and reads no article in full. A month is keyed by what its
  // entries show (page name, title, date); the feeds and listing pages by
  // the newest articles, the months' sizes and the total.
  const view = siteViewOf(site);
  const listingFiles = [...FEEDS.map((f) => outputFile(sitePath.feed(f))), ...LISTING_PAGES.map(outputFile)];
  const prepareListings = async (published: PublishedArticle[]) => {
    const byMonth = new Map<string, PublishedArticle[]>();
    for (const a of published) {
      const month = rfc3339(a.date, site.timeZone).slice(0, 7);
      let list = byMonth.get(month);
      if (!list) byMonth.set(month, (list = []));
      list.push(a);
    }
    const monthKeys = [...byMonth.keys()].sort().reverse();
    let months: ArchiveMonth[] | null = null;
    const allMonths = () =>
      (months ??= archiveMonths(
        published.map((a) => archiveEntryOf(a.title, articleUrl(site.baseUrl, a.slug), a.date, site.timeZone)),
        site.baseUrl,
      ));
    const files: Array<{ file: string; content: string }> = [];
    const keys: Record<string, string> = {};
    let monthPages = 0;
    for (const month of monthKeys) {
      const file = outputFile(sitePath.archiveMonth(month));
      const key = sha256(byMonth.get(month)!.map((a) => `${a.slug}\u0000${a.title}\u0000${a.date}`).join('\u0001'));
      keys[file] = key;
      if (isCurrent('archive', `${month}.html`, file, key)) continue;
      files.push({ file, content: renderArchiveMonth(engine, view, allMonths().find((m) => m.month === month)!) });
      monthPages++;
    }
    const lead = published.slice(0, site.itemLimit);
    const listing = sha256(
      JSON.stringify(lead.map((a) => [a.id, a.hash, a.slug, a.state.lastChanged])),
      JSON.stringify(monthKeys.map((m) => [m, byMonth.get(m)!.length])),
      String(published.length),
    );
    let feedItems: FeedItem[] = [];
    const current =
      !output.fresh && record?.renderKey === renderKey && record.listing === listing && listingFiles.every((f) => existsSync(path.join(output.root, f)));
    if (!current) {
      const [{ renderFeed }, full] = await Promise.all([feedModule, Promise.all(lead.map((a) => corpus.loadArticle(a.id)))]);
      const renderContent = contentRenderer(engine);
      feedItems = lead.map((a, i) => toFeedItem(full[i]!, a.slug, a.state.lastChanged, site, renderContent));
      for (const feed of FEEDS) files.push({ file: outputFile(sitePath.feed(feed)), content: renderFeed(feed.format, site, feedItems) });
      const listEntries = feedItems.map((i) => listEntryOf({ ...i.article, authors: i.authors }, i.url, i.published, site.timeZone));
      for (const [p, content] of renderListingPages(engine, site, { view, lead: listEntries, months: allMonths(), total: published.length })) {
        files.push({ file: outputFile(p), content });
      }
    }
    return { files, keys, listing, feedItems, monthPages, lead: lead.map((a) => a.id) };
  };
  let listings = await prepareListings(corpus.articles);

  let results: PageResult[];
  try {
    results = [...(await rendering), ...(await renderingAgain)];
    jobs.push(...again);
  } catch (err) {
    throw outputErrorOf(err, deps.out, 'cannot write the output folder');
  }
  let pagesWritten = new Set(jobs.map((j) => j.input.file)).size;

  // 3. Sources whose page could not be written are left out, every article of theirs.
  const diagnostics: Diagnostic[] = [];
  const refused = new Set<string>();
  const rendered = new Map<string, PublishedArticle>();
  for (const a of corpus.articles) rendered.set(a.id, a);
  const counted = new Set<string>();
  results.forEach((r, i) => {
    if (!('failed' in r)) {
      const file = jobs[i]!.input.file;
      if (r.written && !counted.has(file)) changedFiles.push(file);
      counted.add(file);
      return;
    }
    const a = rendered.get(jobs[i]!.id)!;
    refused.add(a.source);
    pagesWritten--;
    diagnostics.push({
      source: a.source,
      line: a.line,
      severity: 'error',
      code: 'page',
      message: `cannot write the page of article "${a.id}" (${jobs[i]!.input.file}: ${r.failed}); file skipped`,
    });
  });
  const published = refused.size === 0 ? corpus.articles : corpus.articles.filter((a) => !refused.has(a.source));
  if (refused.size > 0) {
    // The pages its other articles got are taken down with the source.
    const failed = new Set(jobs.filter((_j, i) => 'failed' in results[i]!).map((j) => j.input.file));
    for (const a of corpus.articles) {
      if (!refused.has(a.source)) continue;
      const file = outputFile(sitePath.article(a.slug));
      delete pages[file];
      if (failed.has(file)) continue;
      remove(file);
    }
    listings = await prepareListings(published);
  }
  for (const f of listings.files) write(f.file, f.content);
  // The feeds name this stylesheet (a browser shows a feed as a page with it): hosted statically, it must be there.
  const stylesheet = await readFile(path.join(engine.dir, 'feed.xsl'), 'utf8').catch(() => null);
  if (stylesheet !== null) write(outputFile(sitePath.feedStylesheet), stylesheet);
  Object.assign(pages, listings.keys);
  pagesWritten += listings.monthPages;
  const { listing, feedItems, lead } = listings;

  // 4. Pages no article or month claims any more.
  for (const [dir, names] of existing) {
    for (const name of names) {
      const rel = `${dir}/${name}`;
      if (name.endsWith('.html') && !(rel in pages)) {
        remove(rel);
        changedFiles.push(rel);
      }
    }
  }

  const same =
    record !== null &&
    record.renderKey === renderKey &&
    record.listing === listing &&
    Object.keys(pages).length === Object.keys(previous).length &&
    Object.entries(pages).every(([f, k]) => previous[f] === k);
  if (!same) await writeRecord(recordPath, { renderKey, pages, listing });

  return { pagesWritten, changedFiles, feedItems, published, rejected: [...refused].sort(), diagnostics, lead };
}
