// The corpus stage: the one way every command reads the articles.
//
//   list → read → cached parse → checks that span files → the store's item history
//
// `check`, `build`, `send`, `digest` and `serve` all call readCorpus, so they
// always agree on what is published. Unchanged sources (same size and mtime
// as last time) are not even read; changed ones are hashed, and only a new
// hash is parsed. Many sources are read and parsed on worker threads, one
// per core (workers.ts); a few, here. Writing output is another stage
// (publish/), which renders pages where the articles are (Corpus.visit).
import { availableParallelism } from 'node:os';
import type { Article, Diagnostic, ItemState } from '../model.ts';
import type { ParseSettings } from '../parse/input.ts';
import { type ArticleStub, type Manifest, type ManifestSource, type ParseCache, entryAfterReading, sha256 } from './cache.ts';
import { checkAcrossFiles } from './checks.ts';
import type { ItemHistory } from './history.ts';
import { type ArticleTask, LocalHost, type ParseContext, type ParseResult, type SourceJob, type VisitJob, loadParser, sourceJob } from './host.ts';
import { type SourceListing, type SourceRef, listSources } from './sources.ts';
import { type ThreadsAhead, WorkerHost } from './workers.ts';

export type { ArticleStub } from './cache.ts';
export type { ArticleTask, ArticleTaskModule } from './host.ts';

/** How much parallel work: how many threads at most, and from how many jobs on they are worth starting. */
export interface Threads {
  /** Worker threads at most (0: everything on this thread). Default: one per core. */
  max: number;
  /** Fewer sources to parse or articles to visit than this are done on this thread. */
  from: number;
}

/** Starting a thread and loading the parser and templates into it costs about as much as this many pages. */
export const DEFAULT_THREADS: Threads = { max: availableParallelism(), from: 1000 };

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
  /** Worker threads; the results are the same whatever they are. */
  threads?: Threads;
  /**
   * Modules the worker threads load as they start (the publish stage's page
   * task), so that a later visit finds them ready.
   */
  warm?: string[];
  /** The articles folder as already listed (by `build`, for its stamp); listed here otherwise. */
  listing?: SourceListing;
  /** Worker threads already started (by `build`, when it expects thousands of sources to parse or pages to render); stopped at close if unused. */
  ahead?: ThreadsAhead;
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
  /** Sources parsed this time (the rest were unchanged). */
  reparsed: number;
  /** True when some source changed since the last reading. */
  changed: boolean;
  /** The full article of a published id. */
  loadArticle(id: string): Promise<Article>;
  /**
   * Applies a task to the full articles of published ids, on the worker
   * threads when there are many (where the articles already are), else here.
   * Results in the order of the jobs.
   */
  visit<I, R>(task: ArticleTask, jobs: Array<{ id: string; input: I }>): Promise<R[]>;
  /**
   * Has the store record this reading's items, and resolves with the
   * articles whose recorded state differs from the one they were read with
   * (their `state` is updated). A history that writes (`build`) first
   * answers with its forecast, so that publish can render pages while the
   * store records; publish calls this once its rendering is under way, and
   * renders again what it returns (nothing, unless another process recorded
   * first). Without a writing history it resolves at once with nothing.
   * Later calls return the same promise.
   */
  settle(): Promise<PublishedArticle[]>;
  /** Stops the worker threads; loadArticle and visit still work, on this thread. */
  close(): Promise<void>;
}

/** Sources re-read when modified this close to the last manifest write (mtime granularity). */
const RACY_MS = 1000;

/**
 * Runs fn once the work posted to the worker threads so far has left: the
 * store (better-sqlite3) blocks this thread while it writes, and the threads
 * should be busy meanwhile.
 */
function afterPosting<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(fn);
}

function sameState(a: ItemState, b: ItemState): boolean {
  return a.firstSeen === b.firstSeen && a.lastChanged === b.lastChanged;
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

let localTasks = 0;

/**
 * This thread and, once there is enough work for them, the worker threads:
 * each source's parse stays where it was made.
 */
class Hosts {
  readonly local: LocalHost;
  private workers: WorkerHost | null = null;
  private closed = false;

  constructor(
    private readonly context: ParseContext,
    private readonly threads: Threads,
    private readonly warm: string[],
    private readonly ahead?: ThreadsAhead,
  ) {
    this.local = new LocalHost(context);
  }

  /**
   * The worker threads, started when `jobs` is enough work for them (or
   * already running). Called as soon as the amount of work is known, so the
   * threads load their modules while this one does other things.
   */
  pool(jobs: number): WorkerHost | null {
    if (this.closed || this.threads.max < 1 || jobs < Math.max(1, this.threads.from)) return this.workers;
    this.workers ??= new WorkerHost(this.context, Math.min(this.threads.max, Math.ceil(jobs / 64)), this.warm, this.ahead);
    return this.workers;
  }

  async parse(jobs: SourceJob[]): Promise<ParseResult[]> {
    if (jobs.length === 0) return [];
    const pool = this.pool(jobs.length);
    if (pool) return pool.parse(jobs);
    return this.parseHere(jobs);
  }

  /** Parses on this thread, which then holds the sources. */
  async parseHere(jobs: SourceJob[]): Promise<ParseResult[]> {
    await loadParser();
    return this.local.parse(jobs);
  }

  async articles(requests: Array<{ job: SourceJob; id: string }>): Promise<Article[]> {
    await loadParser();
    // A few (the feeds' fifty) are read and parsed again here, sooner than
    // the threads would answer behind the pages they are rendering.
    const few = requests.length < Math.max(1, this.threads.from);
    const remote = this.workers && !few ? requests.filter((r) => this.workers!.holds(r.job.source)) : [];
    const fetched = remote.length > 0 ? await this.workers!.articles(remote) : [];
    const byRequest = new Map(remote.map((r, i) => [r, fetched[i]!]));
    return requests.map((r) => byRequest.get(r) ?? this.local.article(r.job, r.id));
  }

  async visit<R>(task: ArticleTask, jobs: VisitJob[]): Promise<R[]> {
    if (jobs.length === 0) return [];
    // Articles parsed on this thread are visited here; the rest on the worker
    // threads when they hold them or there are enough to start them.
    const rest = jobs.filter((j) => !this.local.holds(j.job.source));
    const pool = rest.length > 0 ? this.pool(rest.length) : null;
    const here = pool ? jobs.filter((j) => this.local.holds(j.job.source)) : jobs;
    const away = pool ? rest : [];
    const taskId = `local-${++localTasks}`;
    try {
      // The threads' share is posted first, before anything here can wait.
      const farDone = pool ? pool.visit<R>(task, away) : Promise.resolve([] as R[]);
      farDone.catch(() => undefined);
      if (here.length > 0) await loadParser();
      const [near, far] = await Promise.all([this.local.visit(taskId, task, here), farDone]);
      const out = new Map<VisitJob, R>();
      here.forEach((j, i) => out.set(j, near[i] as R));
      away.forEach((j, i) => out.set(j, far[i]!));
      return jobs.map((j) => out.get(j)!);
    } finally {
      this.local.endTask(taskId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.workers;
    this.workers = null;
    await Promise.all([w?.close(), this.ahead?.stop()]);
  }
}

/** The parse cache's key: the parser's code and its settings. */
export function parseKeyOf(parserKey: string, settings: ParseSettings): string {
  return sha256(parserKey, JSON.stringify(settings));
}

export async function readCorpus(deps: CorpusDeps): Promise<Corpus> {
  const parseKey = parseKeyOf(deps.parserKey, deps.parse);
  const manifestRead = deps.cache.readManifest(parseKey);
  const listing = deps.listing ?? listSources(deps.articles);
  const refs = listing.refs;
  const manifest = await manifestRead;

  // 1. Parse what changed.
  const sources: Record<string, ManifestSource> = {};
  const pending = refs.filter((ref) => {
    const old = manifest.sources[ref.source];
    // A file changed within the same mtime tick as the last reading looks unchanged; re-read those.
    const unchanged =
      old !== undefined && old.size === ref.size && old.mtimeMs === ref.mtimeMs && ref.mtimeMs < manifest.writtenAtOf(ref.source) - RACY_MS;
    if (unchanged) sources[ref.source] = old;
    return !unchanged;
  });
  const hosts = new Hosts({ parseKey, settings: deps.parse }, deps.threads ?? DEFAULT_THREADS, deps.warm ?? [], deps.ahead);
  // Threads start loading now, while the store is asked when each source was first seen.
  hosts.pool(pending.length);
  try {
    return await readWith(hosts, deps, { listing, manifest, pending, sources, parseKey });
  } catch (err) {
    await hosts.close();
    throw err;
  }
}

async function readWith(
  hosts: Hosts,
  deps: CorpusDeps,
  read: { listing: SourceListing; manifest: Manifest; pending: SourceRef[]; sources: Record<string, ManifestSource>; parseKey: string },
): Promise<Corpus> {
  const { now, cache, history } = deps;
  const { listing, manifest, pending, sources, parseKey } = read;
  const refs = listing.refs;
  const paths = refs.map((r) => r.rel);
  // When there is enough to parse for the worker threads, a history that
  // writes answers first with its forecast: the threads parse (and later
  // render) while the store records on this thread. Otherwise it answers
  // once, recording (asking twice would cost more than it saves).
  const threads = deps.threads ?? DEFAULT_THREADS;
  const overlap = threads.max > 0 && pending.length >= Math.max(1, threads.from);
  const forecast = overlap ? (history.forecast ?? null) : null;
  const firstSeen = await (forecast ?? history).firstSeen(paths, now);
  const jobOf = (ref: SourceRef, key: string | null): SourceJob => sourceJob(ref, firstSeen.get(ref.rel)!, key);
  const oldKey = (ref: SourceRef) => manifest.sources[ref.source]?.key ?? null;
  const parsing = hosts.parse(pending.map((ref) => jobOf(ref, oldKey(ref))));
  parsing.catch(() => undefined);
  const recording = forecast ? afterPosting(() => history.firstSeen(paths, now)) : Promise.resolve(null);
  recording.catch(() => undefined);
  const [results, recorded] = await Promise.all([parsing, recording]);
  if (recorded) {
    // Another process recorded some of these sources first, at another moment: parse those again with it.
    const wrong = pending.flatMap((ref, i) => (recorded.get(ref.rel) !== firstSeen.get(ref.rel) ? [i] : []));
    for (const [p, at] of recorded) firstSeen.set(p, at);
    if (wrong.length > 0) {
      const again = await hosts.parseHere(wrong.map((i) => jobOf(pending[i]!, oldKey(pending[i]!))));
      wrong.forEach((i, k) => (results[i] = again[k]!));
    }
  }
  let reparsed = 0;
  pending.forEach((ref, i) => {
    const { summary } = results[i]!;
    if (summary !== null) reparsed++;
    sources[ref.source] = entryAfterReading(ref, manifest.sources[ref.source], summary);
  });
  const changed = pending.length > 0 || Object.keys(manifest.sources).length !== refs.length;
  // Written while the checks and the store run (or, when the store records
  // later, once it has: the threads are idle until then), and awaited.
  const writeManifest = () => (changed ? cache.writeManifest({ version: manifest.version, parseKey, sources }) : Promise.resolve());
  const manifestWritten = forecast ? null : writeManifest();
  manifestWritten?.catch(() => undefined);

  // 2. The checks that span files, then the store's memory of each item.
  const bySource = refs.map((r) => {
    const s = sources[r.source]!;
    const source = r.source;
    return {
      rel: r.rel,
      source,
      articles: s.articles.map(([id, line, title, date, hash]): ArticleStub => ({ id, source, line, title, date, hash })),
      diagnostics: s.diagnostics.map(([line, severity, code, message]): Diagnostic => ({ source, line, severity, code, message })),
      rejected: s.rejected,
    };
  });
  const refused = listing.refused.map((r) => ({ rel: r.rel, source: r.diagnostic.source, articles: [], diagnostics: [r.diagnostic], rejected: true }));
  const checked = checkAcrossFiles([...bySource, ...refused].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)));
  const refOf = new Map(refs.map((r) => [r.source, r]));
  const records = checked.articles.map(({ article: a }) => ({ id: a.id, source: refOf.get(a.source)!.rel, hash: a.hash, title: a.title, published: a.date }));
  const states = await (forecast ?? history).items(records, now);
  // Spelled out: V8 copies `{ ...a, slug, state }` (a spread, then more properties) several times slower, 10,000 times.
  const articles: PublishedArticle[] = sortNewestFirst(
    checked.articles.map(({ article: a, slug }) => ({
      id: a.id,
      source: a.source,
      line: a.line,
      title: a.title,
      date: a.date,
      hash: a.hash,
      slug,
      state: states.get(a.id)!,
    })),
  );
  await manifestWritten;
  let settled: Promise<PublishedArticle[]> | null = null;
  const settle = (): Promise<PublishedArticle[]> => {
    settled ??= forecast
      ? afterPosting(async () => {
          const recordedStates = await history.items(records, now);
          await writeManifest();
          const late: PublishedArticle[] = [];
          for (const a of articles) {
            const state = recordedStates.get(a.id)!;
            if (sameState(state, a.state)) continue;
            a.state = state;
            late.push(a);
          }
          return late;
        })
      : Promise.resolve([]);
    return settled;
  };

  // 3. Full articles on demand, from the host that parsed them, or parsed again.
  const byId = new Map(articles.map((a) => [a.id, a]));
  const jobFor = (id: string): SourceJob => {
    const a = byId.get(id);
    if (!a) throw new Error(`no published article ${id}`);
    return jobOf(refOf.get(a.source)!, sources[a.source]!.key);
  };
  // Requests made together (Promise.all over many ids) go to the threads in one message each.
  let batch: Array<{ id: string; job: SourceJob; resolve: (a: Article) => void; reject: (e: unknown) => void }> = [];
  const flush = () => {
    const requests = batch;
    batch = [];
    hosts.articles(requests.map((r) => ({ job: r.job, id: r.id }))).then(
      (got) => requests.forEach((r, i) => r.resolve(got[i]!)),
      (err: unknown) => requests.forEach((r) => r.reject(err)),
    );
  };
  const loadArticle = (id: string): Promise<Article> =>
    new Promise<Article>((resolve, reject) => {
      const job = jobFor(id);
      if (batch.length === 0) queueMicrotask(flush);
      batch.push({ id, job, resolve, reject });
    });

  // An empty folder publishes empty feeds, but never silently: a wrong path or a failed copy looks just like this.
  const diagnostics =
    refs.length + refused.length === 0
      ? [{ source: deps.articles, line: 0, severity: 'warning' as const, code: 'empty', message: 'no article sources (*.txt, *.md) in the articles folder; the feeds and pages are published empty' }, ...checked.diagnostics]
      : checked.diagnostics;

  return {
    sources: refs.length + refused.length,
    articles,
    diagnostics,
    rejected: checked.rejected,
    reparsed,
    changed,
    loadArticle,
    visit: <I, R>(task: ArticleTask, jobs: Array<{ id: string; input: I }>) =>
      hosts.visit<R>(task, jobs.map((j) => ({ job: jobFor(j.id), id: j.id, input: j.input }))),
    settle,
    close: () => hosts.close(),
  };
}
