// `broadsheet build`: sources → feeds and pages, incrementally.
//
// Unchanged sources (same size and mtime as last time) are not even read;
// changed ones are hashed, and only a new hash is parsed. Feeds, the index,
// the archive and the feed page are rendered every time (they are small);
// an article page only when its article, its history or the templates and
// site settings changed.
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { assignSlugs, pageUrl, sortNewestFirst, toFeedItem } from '../feed/items.ts';
import type { FeedItem } from '../feed/model.ts';
import { feedSiteOf } from '../feed/site.ts';
import type { Article, Diagnostic } from '../model.ts';
import { type ParsedSource, assembleCorpus, parseInput } from '../parse/corpus.ts';
import { archiveEntryOf, listEntryOf, pageSiteOf } from '../pages/views.ts';
import { mapConcurrent } from '../concurrency.ts';
import { type SourceRef, listSources, readSource } from '../source/load.ts';
import type { ItemState, Store } from '../store/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import {
  type ArticleStub,
  BuildCache,
  type ManifestSource,
  hashArticle,
  sha256,
  withoutSource,
} from './cache.ts';
import { writeAtomic } from '../fs-atomic.ts';
import { archiveMonths, contentRenderer, renderArchiveMonth, renderArticlePage, renderSite } from './render.ts';

export interface BuildDeps {
  config: Config;
  store: Store;
  engine: TemplateEngine;
  /** The moment of this build: new sources and items are first seen now. */
  now: Date;
  /** Hash of the parser's code (cache.parserCodeKey). */
  parserKey: string;
  /**
   * Work out what a build would publish without writing anything: no files,
   * no cache, no store changes (for `send --dry-run`).
   */
  readOnly?: boolean;
}

export interface BuildReport {
  sources: number;
  articles: number;
  rejected: string[];
  diagnostics: Diagnostic[];
  /** Sources parsed this time (the rest came from the cache). */
  reparsed: number;
  /** Article and archive pages written this time. */
  pagesWritten: number;
  /** Files written or removed under the output folder (relative paths). */
  changedFiles: string[];
  /** The feeds' items, newest first. */
  feedItems: FeedItem[];
  /** Every article the feeds and pages hold, newest first, with its store state. */
  published: Array<ArticleStub & { slug: string; state: ItemState }>;
  /** The feed item of any published article, loaded on demand. */
  loadItem(id: string): Promise<FeedItem>;
}

function stubOf(a: Article): ArticleStub {
  return { id: a.id, source: a.source, line: a.line, title: a.title, date: a.date, hash: hashArticle(a) };
}

/** Writes a file only when its bytes change, so unchanged files keep their mtime. */
async function writeIfChanged(file: string, content: string): Promise<boolean> {
  const old = await readFile(file, 'utf8').catch(() => null);
  if (old === content) return false;
  await writeAtomic(file, content);
  return true;
}

/** Output folders whose pages each build keeps in step with their inputs. */
const PAGE_DIRS = ['articles', 'archive'] as const;

/** Sources re-read when modified this close to the last manifest write (mtime granularity). */
const RACY_MS = 1000;

export async function build(deps: BuildDeps): Promise<BuildReport> {
  const { config, store, engine, now } = deps;
  const site = feedSiteOf(config);
  const pageSite = pageSiteOf(site, config.schedules);
  const parseOptions = {
    timeZone: config.site.timeZone,
    punctuation: config.parse.punctuation,
    maxSourceBytes: config.parse.maxSourceBytes,
  };
  const parseKey = sha256(deps.parserKey, JSON.stringify(parseOptions));
  const cache = new BuildCache(path.join(config.paths.data, 'cache'));
  const manifest = await cache.readManifest(parseKey);
  const outDir = config.paths.out;

  const readOnly = deps.readOnly ?? false;
  const refs = await listSources(config.paths.articles);
  const firstSeen = readOnly
    ? await store.sourcesFirstSeen().then((known) => new Map(refs.map((r) => [r.rel, known.get(r.rel) ?? now.toISOString()])))
    : await store.recordSources(
        refs.map((r) => r.rel),
        now,
      );

  // 1. Parse what changed.
  const sources: Record<string, ManifestSource> = {};
  const full = new Map<string, ParsedSource>();
  let reparsed = 0;
  const parseRef = async (ref: SourceRef, old: ManifestSource | undefined): Promise<void> => {
    const seen = firstSeen.get(ref.rel)!;
    let bytes: Uint8Array;
    let size: number;
    let readError: string | undefined;
    try {
      ({ bytes, size } = await readSource(ref, config.parse.maxSourceBytes));
    } catch (err) {
      bytes = new Uint8Array();
      size = 0;
      readError = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    const key = sha256(parseKey, ref.source, ref.stem, seen, bytes, String(size), readError ?? '');
    let parsed = old?.key === key ? null : await cache.readParsed(key);
    if (old?.key === key) {
      sources[ref.source] = { ...old, size: ref.size, mtimeMs: ref.mtimeMs };
      return;
    }
    if (!parsed) {
      parsed = parseInput({ source: ref.source, stem: ref.stem, bytes, size, firstSeen: seen, ...(readError ? { readError } : {}) }, parseOptions);
      reparsed++;
      if (!readOnly) await cache.writeParsed(key, parsed);
    }
    full.set(key, parsed);
    sources[ref.source] = {
      size: ref.size,
      mtimeMs: ref.mtimeMs,
      key,
      rejected: parsed.rejected,
      articles: parsed.articles.map((a) => withoutSource(stubOf(a))),
      diagnostics: parsed.diagnostics.map(withoutSource),
    };
  };
  const pending = refs.filter((ref) => {
    const old = manifest.sources[ref.source];
    // A file changed within the same mtime tick as the last build looks unchanged; re-read those.
    const unchanged =
      old !== undefined && old.size === ref.size && old.mtimeMs === ref.mtimeMs && ref.mtimeMs < manifest.writtenAt - RACY_MS;
    if (unchanged) sources[ref.source] = old;
    return !unchanged;
  });
  await mapConcurrent(pending, 16, (ref) => parseRef(ref, manifest.sources[ref.source]));

  // 2. The checks that span files, then the store's memory of each item.
  const corpus = assembleCorpus(
    refs.map((r) => {
      const s = sources[r.source]!;
      return {
        source: r.source,
        stem: r.stem,
        articles: s.articles.map((a) => ({ ...a, source: r.source })),
        diagnostics: s.diagnostics.map((d) => ({ source: r.source, ...d })),
        rejected: s.rejected,
      };
    }),
  );
  const { kept, slugs, diagnostics: slugDiagnostics } = assignSlugs(corpus.articles);
  const diagnostics = [...corpus.diagnostics, ...slugDiagnostics];
  const relOf = new Map(refs.map((r) => [r.source, r.rel]));
  const records = kept.map((a) => ({ id: a.id, source: relOf.get(a.source)!, hash: a.hash, title: a.title, published: a.date }));
  const history = readOnly ? await store.previewItems(records, now) : await store.syncItems(records, now);
  const newest = sortNewestFirst(kept);

  // 3. Full articles for the feeds and for pages that need writing.
  const keyOf = (a: ArticleStub) => sources[a.source]!.key;
  const loadFull = async (a: ArticleStub): Promise<Article> => {
    const key = keyOf(a);
    let parsed = full.get(key) ?? (await cache.readParsed(key));
    if (!parsed) {
      // The cache lost this file: parse the source again.
      const ref = refs.find((r) => r.source === a.source)!;
      await parseRef(ref, undefined);
      parsed = full.get(sources[a.source]!.key)!;
    }
    full.set(key, parsed);
    const article = parsed.articles.find((x) => x.id === a.id);
    if (!article) throw new Error(`build cache: ${a.source} no longer holds ${a.id}; delete ${cache.dir} and build again`);
    return article;
  };
  const renderContent = contentRenderer(engine);
  const feedItemOf = async (a: ArticleStub): Promise<FeedItem> =>
    toFeedItem(await loadFull(a), slugs.get(a.id)!, history.get(a.id)!.lastChanged, site, renderContent);

  const byId = new Map(newest.map((a) => [a.id, a]));
  const loadItem = (id: string) => {
    const a = byId.get(id);
    if (!a) throw new Error(`no published article ${id}`);
    return feedItemOf(a);
  };
  const published = newest.map((a) => ({ ...a, slug: slugs.get(a.id)!, state: history.get(a.id)! }));
  const base = { sources: refs.length, articles: kept.length, rejected: corpus.rejected, diagnostics, reparsed, published, loadItem };
  if (readOnly) return { ...base, pagesWritten: 0, changedFiles: [], feedItems: [] };

  const feedItems: FeedItem[] = [];
  for (const a of newest.slice(0, site.itemLimit)) feedItems.push(await feedItemOf(a));
  // A page rewritten for an article in the feeds reuses its feed item rather than load and render it again.
  const inFeeds = new Map(feedItems.map((i) => [i.article.id, i]));

  const changedFiles: string[] = [];
  const write = async (rel: string, content: string) => {
    if (await writeIfChanged(path.join(outDir, rel), content)) changedFiles.push(rel);
  };

  // 4. Pages rendered from their own inputs: an article page, or a month of
  // the archive. Each is rendered only when the hash of its inputs changed
  // or its file is gone; files no page claims any more are removed.
  const renderKey = sha256(JSON.stringify(engine.sources), JSON.stringify(site), JSON.stringify(pageSite));
  const pages: Record<string, string> = {};
  let pagesWritten = 0;
  const existing = new Map<string, Set<string>>();
  for (const dir of PAGE_DIRS) existing.set(dir, new Set(await readdir(path.join(outDir, dir)).catch(() => [] as string[])));
  const keepPage = async (dir: (typeof PAGE_DIRS)[number], file: string, key: string, render: () => Promise<string>) => {
    const rel = `${dir}/${file}`;
    pages[rel] = key;
    if (manifest.pages[rel] === key && existing.get(dir)!.has(file)) return;
    await write(rel, await render());
    pagesWritten++;
  };
  for (const a of newest) {
    const key = sha256(renderKey, a.hash, history.get(a.id)!.lastChanged ?? '');
    await keepPage('articles', `${slugs.get(a.id)!}.html`, key, async () =>
      renderArticlePage(engine, site, pageSite, inFeeds.get(a.id) ?? (await feedItemOf(a))),
    );
  }
  const months = archiveMonths(
    newest.map((a) => archiveEntryOf(a.title, pageUrl(site, slugs.get(a.id)!), a.date, site.timeZone)),
    site.baseUrl,
  );
  for (const m of months) {
    const key = sha256(renderKey, JSON.stringify(m.entries));
    await keepPage('archive', `${m.month}.html`, key, async () => renderArchiveMonth(engine, site, pageSite, m));
  }
  for (const [dir, files] of existing) {
    for (const file of files) {
      if (file.endsWith('.html') && !(`${dir}/${file}` in pages)) {
        await rm(path.join(outDir, dir, file), { force: true });
        changedFiles.push(`${dir}/${file}`);
      }
    }
  }

  // 5. Feeds and the small pages every build renders.
  const lead = feedItems.map((i) => listEntryOf({ ...i.article, authors: i.authors }, i.url, i.published, site.timeZone));
  for (const [rel, content] of renderSite({ site, pageSite, engine, feedItems, lead, months, total: kept.length })) {
    await write(rel, content);
  }

  // The manifest is large; write it only when something in it changed.
  const pagesChanged =
    Object.keys(pages).length !== Object.keys(manifest.pages).length || Object.entries(pages).some(([f, k]) => manifest.pages[f] !== k);
  if (pending.length > 0 || Object.keys(manifest.sources).length !== refs.length || pagesChanged) {
    await cache.writeManifest({ version: manifest.version, parseKey, sources, pages });
  }

  return { ...base, pagesWritten, changedFiles, feedItems };
}
