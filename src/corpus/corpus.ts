// The corpus stage: the one way every command reads the articles.
//
//   list → read → cached parse → checks that span files → the store's item history
//
// `check`, `build`, `send`, `digest` and `serve` all call readCorpus, so they
// always agree on what is published. Unchanged sources (same size and mtime
// as last time) are not even read; changed ones are hashed, and only a new
// hash is parsed. Writing output is another stage (publish/).
import { mapConcurrent } from '../concurrency.ts';
import type { Article, Diagnostic, ItemState } from '../model.ts';
import { type ParseSettings, type ParsedSource, parseInput } from '../parse/input.ts';
import { type ArticleStub, type ManifestSource, type ParseCache, hashArticle, sha256, withoutSource } from './cache.ts';
import { checkAcrossFiles } from './checks.ts';
import type { ItemHistory } from './history.ts';
import { type SourceRef, listSources, readSource } from './sources.ts';

export type { ArticleStub } from './cache.ts';

export interface CorpusDeps {
  /** The articles folder. */
  articles: string;
  parse: ParseSettings;
  /** The parse cache (`<data>/cache`); look-only for commands that write nothing. */
  cache: ParseCache;
  /** Hash of the parser's code (cache.parserCodeKey). */
  parserKey: string;
  /** Recording or read-only: chosen where the command is wired. */
  history: ItemHistory;
  /** The moment of this reading: new sources and items are first seen now. */
  now: Date;
}

/** A published article as listings need it; the full article is loaded on demand. */
export interface PublishedArticle extends ArticleStub {
  /** Its page name: articles/<slug>.html. */
  slug: string;
  /** What the store remembers: first seen, last changed. */
  state: ItemState;
}

export interface Corpus {
  /** Sources found. */
  sources: number;
  /** Every published article, newest first. */
  articles: PublishedArticle[];
  diagnostics: Diagnostic[];
  /** Sources skipped because of an error. */
  rejected: string[];
  /** Sources parsed this time (the rest came from the cache). */
  reparsed: number;
  /** True when some source changed since the last reading. */
  changed: boolean;
  /** The full article of a published id. */
  loadArticle(id: string): Promise<Article>;
}

/** Sources re-read when modified this close to the last manifest write (mtime granularity). */
const RACY_MS = 1000;

function stubOf(a: Article): ArticleStub {
  return { id: a.id, source: a.source, line: a.line, title: a.title, date: a.date, hash: hashArticle(a) };
}

/**
 * Newest first; ties broken by id, so the order never depends on the file
 * system. Each date is parsed once (a comparator would parse it log n times).
 */
export function sortNewestFirst<T extends { date: string; id: string }>(items: T[]): T[] {
  return items
    .map((item) => ({ item, t: Date.parse(item.date) }))
    .sort((a, b) => b.t - a.t || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0))
    .map((x) => x.item);
}

export async function readCorpus(deps: CorpusDeps): Promise<Corpus> {
  const { now } = deps;
  const parseKey = sha256(deps.parserKey, JSON.stringify(deps.parse));
  const { cache } = deps;
  const manifest = await cache.readManifest(parseKey);
  const listing = listSources(deps.articles);
  const refs = listing.refs;
  const firstSeen = await deps.history.firstSeen(
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
      ({ bytes, size } = await readSource(ref, deps.parse.maxSourceBytes));
    } catch (err) {
      bytes = new Uint8Array();
      size = 0;
      readError = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    const key = sha256(parseKey, ref.source, ref.stem, seen, bytes, String(size), readError ?? '');
    if (old?.key === key) {
      sources[ref.source] = { ...old, size: ref.size, mtimeMs: ref.mtimeMs };
      return;
    }
    let parsed = await cache.readParsed(key);
    if (!parsed) {
      parsed = parseInput({ source: ref.source, stem: ref.stem, bytes, size, firstSeen: seen, ...(readError ? { readError } : {}) }, deps.parse);
      reparsed++;
      await cache.writeParsed(key, parsed);
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
    // A file changed within the same mtime tick as the last reading looks unchanged; re-read those.
    const unchanged =
      old !== undefined && old.size === ref.size && old.mtimeMs === ref.mtimeMs && ref.mtimeMs < manifest.writtenAt - RACY_MS;
    if (unchanged) sources[ref.source] = old;
    return !unchanged;
  });
  await mapConcurrent(pending, 16, (ref) => parseRef(ref, manifest.sources[ref.source]));
  const changed = pending.length > 0 || Object.keys(manifest.sources).length !== refs.length;
  if (changed) await cache.writeManifest({ version: manifest.version, parseKey, sources });

  // 2. The checks that span files, then the store's memory of each item.
  const read = refs.map((r) => {
    const s = sources[r.source]!;
    return {
      rel: r.rel,
      source: r.source,
      articles: s.articles.map((a) => ({ ...a, source: r.source })),
      diagnostics: s.diagnostics.map((d) => ({ source: r.source, ...d })),
      rejected: s.rejected,
    };
  });
  const refused = listing.refused.map((r) => ({ rel: r.rel, source: r.diagnostic.source, articles: [], diagnostics: [r.diagnostic], rejected: true }));
  const checked = checkAcrossFiles([...read, ...refused].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)));
  const relOf = new Map(refs.map((r) => [r.source, r.rel]));
  const history = await deps.history.items(
    checked.articles.map((a) => ({ id: a.id, source: relOf.get(a.source)!, hash: a.hash, title: a.title, published: a.date })),
    now,
  );
  const articles = sortNewestFirst(checked.articles).map((a) => ({ ...a, state: history.get(a.id)! }));

  // 3. Full articles on demand: from this reading, the cache, or a fresh parse.
  const byId = new Map(articles.map((a) => [a.id, a]));
  const loadArticle = async (id: string): Promise<Article> => {
    const a = byId.get(id);
    if (!a) throw new Error(`no published article ${id}`);
    let key = sources[a.source]!.key;
    let parsed = full.get(key) ?? (await cache.readParsed(key));
    if (!parsed) {
      // The cache lost this file: parse the source again.
      await parseRef(refs.find((r) => r.source === a.source)!, undefined);
      key = sources[a.source]!.key;
      parsed = full.get(key)!;
    }
    full.set(key, parsed);
    const article = parsed.articles.find((x) => x.id === a.id);
    if (!article) throw new Error(`parse cache: ${a.source} no longer holds ${a.id}; delete ${cache.dir} and run again`);
    return article;
  };

  return {
    sources: refs.length + refused.length,
    articles,
    diagnostics: checked.diagnostics,
    rejected: checked.rejected,
    reparsed,
    changed,
    loadArticle,
  };
}
