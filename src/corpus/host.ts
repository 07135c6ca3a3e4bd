// Where sources are read and parsed, and where the full articles then stay:
// this thread (LocalHost) or one of the worker threads (workers.ts, each
// running a LocalHost). Keeping each parse where it was made lets the
// publish stage render a page where its article already is, instead of
// copying 70 MB of articles between threads.
//
// The same functions run in every host, so the results never depend on how
// many threads there are.
import type { Article } from '../model.ts';
import type { ParseSettings, ParsedSource, parseInput } from '../parse/input.ts';
import { type DiagnosticRow, type StubRow, diagnosticRow, hashArticle, sha256, stubRow } from './cache.ts';
import { type SourceRef, readSource } from './sources.ts';

/** One source to read, as a host needs it (plain data: it crosses threads). */
export interface SourceJob {
  source: string;
  stem: string;
  absolute: string;
  /** When the source was first seen (RFC 3339): the parser dates by it. */
  firstSeen: string;
  /** The parse key of the version last read, if any. */
  key: string | null;
}

export function sourceJob(ref: Pick<SourceRef, 'source' | 'stem' | 'absolute'>, firstSeen: string, key: string | null): SourceJob {
  return { source: ref.source, stem: ref.stem, absolute: ref.absolute, firstSeen, key };
}

/** What the corpus keeps of a source: enough for listings and the checks across files. */
export interface SourceSummary {
  key: string;
  rejected: boolean;
  articles: StubRow[];
  diagnostics: DiagnosticRow[];
}

export interface ParseResult {
  source: string;
  key: string;
  /** Null when the key is the one the job brought: the bytes did not change, nothing was parsed. */
  summary: SourceSummary | null;
}

export interface ParseContext {
  /** Hash of the parser's code and settings. */
  parseKey: string;
  settings: ParseSettings;
}

/**
 * A piece of work on full articles: a module whose `setup(context)` returns
 * the function applied to each batch of articles (the jobs of one message,
 * in order; it answers one result per article). Named by URL so a worker
 * thread can load it; the context must be plain data (or shared memory).
 */
export interface ArticleTask<C = unknown> {
  module: string;
  context: C;
}

export interface ArticleTaskModule<C, I, R> {
  setup(context: C): (batch: Array<{ article: Article; input: I }>) => R[];
}

export interface VisitJob<I = unknown> {
  job: SourceJob;
  id: string;
  input: I;
}

function summaryOf(key: string, parsed: ParsedSource): SourceSummary {
  return {
    key,
    rejected: parsed.rejected,
    articles: parsed.articles.map((a) => stubRow({ id: a.id, line: a.line, title: a.title, date: a.date, hash: hashArticle(a) })),
    diagnostics: parsed.diagnostics.map(diagnosticRow),
  };
}

let parser: typeof parseInput | null = null;

/**
 * Loads the parser (and what it loads: decoders, date handling). Not at
 * start-up: a build in which nothing changed parses nothing.
 */
export async function loadParser(): Promise<void> {
  parser ??= (await import('../parse/input.ts')).parseInput;
}

/** Reads a source and parses it unless its bytes are the version already known. */
function readAndParse(job: SourceJob, ctx: ParseContext): { key: string; parsed: ParsedSource | null } {
  let bytes: Uint8Array;
  let size: number;
  let readError: string | undefined;
  try {
    ({ bytes, size } = readSource(job, ctx.settings.maxSourceBytes));
  } catch (err) {
    bytes = new Uint8Array();
    size = 0;
    readError = (err as NodeJS.ErrnoException).code ?? String(err);
  }
  const key = sha256(ctx.parseKey, job.source, job.stem, job.firstSeen, bytes, String(size), readError ?? '');
  if (key === job.key) return { key, parsed: null };
  const input = { source: job.source, stem: job.stem, bytes, size, firstSeen: job.firstSeen, ...(readError ? { readError } : {}) };
  if (!parser) throw new Error('the parser is not loaded (loadParser)');
  return { key, parsed: parser(input, ctx.settings) };
}

export class LocalHost {
  /** The full parse of each source read here, by source path. */
  private readonly held = new Map<string, { key: string; parsed: ParsedSource }>();
  private readonly tasks = new Map<string, Promise<(batch: Array<{ article: Article; input: unknown }>) => unknown[]>>();

  constructor(private readonly ctx: ParseContext) {}

  holds(source: string): boolean {
    return this.held.has(source);
  }

  parse(jobs: SourceJob[]): ParseResult[] {
    return jobs.map((job) => {
      const { key, parsed } = readAndParse(job, this.ctx);
      if (!parsed) return { source: job.source, key, summary: null };
      this.held.set(job.source, { key, parsed });
      return { source: job.source, key, summary: summaryOf(key, parsed) };
    });
  }

  /** The full article: from what this host holds, else read and parsed again. */
  article(job: SourceJob, id: string): Article {
    let entry = this.held.get(job.source);
    if (!entry || (job.key !== null && entry.key !== job.key)) {
      const { key, parsed } = readAndParse({ ...job, key: null }, this.ctx);
      entry = { key, parsed: parsed! };
      this.held.set(job.source, entry);
    }
    const article = entry.parsed.articles.find((a) => a.id === id);
    // The file changed since it was listed and no longer holds the article.
    if (!article) throw new Error(`${job.source}: changed during the build and no longer holds article ${id}; run the command again`);
    return article;
  }

  /** `task` may be null for all but a task's first chunk here (the worker threads are sent it once). */
  async visit(taskId: string, task: ArticleTask | null, jobs: VisitJob[]): Promise<unknown[]> {
    if (jobs.length === 0) return [];
    // Chunks of one task arrive together: the first sets it up, the others wait for that.
    let ready = this.tasks.get(taskId);
    if (!ready) {
      if (task === null) throw new Error(`visit ${taskId}: the task was not sent with its first chunk`);
      ready = import(task.module).then((mod: ArticleTaskModule<unknown, unknown, unknown>) => mod.setup(task.context));
      this.tasks.set(taskId, ready);
    }
    const run = await ready;
    return run(jobs.map((j) => ({ article: this.article(j.job, j.id), input: j.input })));
  }

  /** Forgets a task's state once its visit is over. */
  endTask(taskId: string): void {
    this.tasks.delete(taskId);
  }
}
