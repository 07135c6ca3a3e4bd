// The corpus stage's worker threads: one per core, each a LocalHost
// (worker.ts). Sources are handed out in small chunks to whichever thread is
// free, and each source's parse stays in the thread that made it; a later
// visit (the publish stage rendering pages) goes to the thread that holds the
// article. node:worker_threads rather than a pool library: work here must go
// to a particular thread, which general-purpose pools (piscina) do not offer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OutputError, TemplateError } from '../errors.ts';
import type { Article } from '../model.ts';
import type { ArticleTask, ParseContext, ParseResult, SourceJob, VisitJob } from './host.ts';

export type WorkerRequest =
  | { id: number; op: 'context'; context: ParseContext }
  | { id: number; op: 'parse'; jobs: SourceJob[] }
  | { id: number; op: 'articles'; requests: Array<{ job: SourceJob; id: string }> }
  | { id: number; op: 'visit'; taskId: string; task: ArticleTask | null; jobs: VisitJob[] }
  | { id: number; op: 'end'; taskId: string };

/** A request without its id (the thread numbers them). */
type Body = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; stack: string; code?: string | undefined } };

/** Sources or pages per message: small enough to keep every thread busy to the end. */
const CHUNK = 64;

/** Errors that mean something to the caller keep their class across the thread boundary. */
const NAMED: Record<string, new (message: string) => Error> = { TemplateError, OutputError };

function revive(e: Extract<WorkerReply, { ok: false }>['error']): Error {
  const Named = NAMED[e.name];
  const err = Named ? new Named(e.message) : Object.assign(new Error(e.message), { name: e.name });
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  err.stack = `${e.stack}\n    (in a corpus worker thread)`;
  return err;
}

/** What a thread starts with. Its parse context comes with its first message (a thread started ahead does not know it yet). */
export interface WorkerStart {
  /** Modules to load at once, for the visits to come. */
  warm: string[];
}

/** How to start worker.ts: compiled JavaScript directly, TypeScript sources through tsx. */
function spawn(workerData: WorkerStart): Worker {
  const ext = path.extname(new URL(import.meta.url).pathname);
  const entry = new URL(`./worker${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(entry, { workerData });
  // Running from the sources (tsx, vitest): register tsx in the thread first.
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

class Thread {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(revive(reply.error));
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`a corpus worker thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new Error(`a corpus worker thread stopped (exit ${code})`)));
  }

  request<T>(req: Body): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    // Referenced only while it owes an answer: an idle pool never keeps the process alive.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  async terminate(): Promise<void> {
    this.pending.clear();
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Placed<T> = { item: T; i: number };

/**
 * Sends each thread its items in chunks, all at once (a thread works through
 * its queue while this thread is busy, e.g. writing to the store), and puts
 * the results back in the items' order. Waits for every chunk to settle; the
 * first failure is thrown after.
 */
async function perThread<T, R>(lists: Array<Array<Placed<T>>>, total: number, send: (w: number, chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = new Array(total);
  let failure: { error: unknown } | null = null;
  const sent: Array<Promise<void>> = [];
  lists.forEach((list, w) => {
    for (const chunk of chunks(list)) {
      const items = chunk.map((x) => x.item);
      sent.push(
        send(w, items).then(
          (results) => chunk.forEach((x, k) => (out[x.i] = results[k]!)),
          (error: unknown) => void (failure ??= { error }),
        ),
      );
    }
  });
  await Promise.all(sent);
  if (failure) throw (failure as { error: unknown }).error;
  return out;
}

let taskCounter = 0;

/**
 * Threads started before the corpus stage knows its parse context (the
 * parser's key, which needs the code hashed): a build that will parse or
 * render thousands starts them as soon as it has listed the sources, so
 * they load their modules while it opens the store and loads the templates.
 * The WorkerHost takes them over; those it does not take are stopped by
 * stop() (they never keep the process alive).
 */
export class ThreadsAhead {
  /** Each thread not taken yet, with what it listens to until then. */
  private readonly waiting = new Map<Worker, { onError: () => void; onExit: () => void }>();
  /** Threads that stopped before they were taken (a start that failed): not handed out; the host starts its own. */
  private readonly stopped = new Set<Worker>();

  constructor(count: number, warm: string[] = []) {
    for (let i = 0; i < Math.max(1, count); i++) {
      const w = spawn({ warm });
      w.unref();
      // A thread that failed is not handed out: the host starts its own, whose failure it then reports with its cause.
      const listeners = { onError: () => void this.stopped.add(w), onExit: () => void this.stopped.add(w) };
      w.on('error', listeners.onError);
      w.on('exit', listeners.onExit);
      this.waiting.set(w, listeners);
    }
  }

  /** The threads not taken yet that are still running. */
  running(): Worker[] {
    return [...this.waiting.keys()].filter((w) => !this.stopped.has(w));
  }

  /** Up to `count` of the threads still running, which are then the caller's. */
  take(count: number): Worker[] {
    const taken = this.running().slice(0, count);
    for (const w of taken) {
      const { onError, onExit } = this.waiting.get(w)!;
      w.off('error', onError);
      w.off('exit', onExit);
      this.waiting.delete(w);
    }
    return taken;
  }

  async stop(): Promise<void> {
    const left = [...this.waiting.keys()];
    this.waiting.clear();
    await Promise.all(left.map((w) => w.terminate()));
  }
}

export class WorkerHost {
  private readonly threads: Thread[];
  /** Which thread holds each source's parse. */
  private readonly holder = new Map<string, number>();

  constructor(context: ParseContext, count: number, warm: string[] = [], ahead?: ThreadsAhead) {
    const n = Math.max(1, count);
    const workers = ahead?.take(n) ?? [];
    while (workers.length < n) workers.push(spawn({ warm }));
    this.threads = workers.map((w) => new Thread(w));
    // Each thread learns the context from its first message (a thread handles its messages in order).
    for (const t of this.threads) t.request({ op: 'context', context }).catch(() => undefined);
  }

  holds(source: string): boolean {
    return this.holder.has(source);
  }

  /**
   * Parses sources, a chunk at a time to whichever thread is free: each
   * thread has two chunks at most (one to work on, one queued so it never
   * waits for the next message), so the threads finish within a chunk of
   * each other however uneven the sources or the threads' speeds.
   */
  parse(jobs: SourceJob[]): Promise<ParseResult[]> {
    const out: ParseResult[] = new Array(jobs.length);
    const all = chunks(jobs.map((item, i) => ({ item, i })));
    let next = 0;
    let running = 0;
    let failure: { error: unknown } | null = null;
    return new Promise<ParseResult[]>((resolve, reject) => {
      const settle = () => {
        if (running > 0 || (next < all.length && !failure)) return;
        if (failure) reject((failure as { error: unknown }).error);
        else resolve(out);
      };
      const feed = (w: number) => {
        if (failure || next >= all.length) return settle();
        const chunk = all[next++]!;
        running++;
        this.threads[w]!.request<ParseResult[]>({ op: 'parse', jobs: chunk.map((x) => x.item) }).then(
          (results) => {
            running--;
            results.forEach((r, k) => {
              out[chunk[k]!.i] = r;
              if (r.summary) this.holder.set(r.source, w);
            });
            feed(w);
          },
          (error: unknown) => {
            running--;
            failure ??= { error };
            settle();
          },
        );
      };
      if (all.length === 0) return resolve(out);
      for (let round = 0; round < 2; round++) for (let w = 0; w < this.threads.length; w++) feed(w);
    });
  }

  /** Full articles from the threads that hold them. */
  async articles(requests: Array<{ job: SourceJob; id: string }>): Promise<Article[]> {
    const lists: Array<Array<Placed<{ job: SourceJob; id: string }>>> = this.threads.map(() => []);
    requests.forEach((item, i) => lists[this.holder.get(item.job.source) ?? i % this.threads.length]!.push({ item, i }));
    return perThread(lists, requests.length, (w, chunk) => this.threads[w]!.request<Article[]>({ op: 'articles', requests: chunk }));
  }

  /**
   * Applies a task to articles: each job on the thread that holds its source;
   * jobs whose source no thread holds are shared out (that thread reads and
   * parses the source, and keeps it), a source's jobs together.
   */
  async visit<R>(task: ArticleTask, jobs: VisitJob[]): Promise<R[]> {
    const taskId = `${process.pid}-${++taskCounter}`;
    const lists: Array<Array<Placed<VisitJob>>> = this.threads.map(() => []);
    const loose = new Map<string, Array<Placed<VisitJob>>>();
    jobs.forEach((item, i) => {
      const w = this.holder.get(item.job.source);
      if (w !== undefined) lists[w]!.push({ item, i });
      else {
        let list = loose.get(item.job.source);
        if (!list) loose.set(item.job.source, (list = []));
        list.push({ item, i });
      }
    });
    for (const [source, list] of loose) {
      let w = 0;
      for (let k = 1; k < lists.length; k++) if (lists[k]!.length < lists[w]!.length) w = k;
      lists[w]!.push(...list);
      this.holder.set(source, w);
    }
    try {
      // The task (its context holds every template) goes with each thread's
      // first chunk only: a thread handles its messages in order, and 157
      // copies of it cost a full build a tenth of a second to send.
      const told = new Set<number>();
      return await perThread(lists, jobs.length, (w, chunk) => {
        const first = !told.has(w);
        told.add(w);
        return this.threads[w]!.request<R[]>({ op: 'visit', taskId, task: first ? task : null, jobs: chunk });
      });
    } finally {
      await Promise.all(this.threads.map((t) => t.request({ op: 'end', taskId }).catch(() => undefined)));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
