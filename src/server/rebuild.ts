// Live rebuilds: the articles folder is watched (chokidar), and a burst of
// changes (an editor saving, a sync dropping 100 files) becomes one
// debounced, incremental rebuild. Rebuilds never overlap; changes during one
// trigger exactly one more after it.
import { watch } from 'chokidar';
import path from 'node:path';

export interface Rebuilder {
  /** A change happened: rebuild after the quiet time. */
  touch(): void;
  /** Resolves when no rebuild is pending or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Waits for `delayMs` of quiet, but never longer than this after the first change of a burst. */
const MAX_WAIT_MS = 1000;

export function debouncedRebuilds(rebuild: () => Promise<void>, delayMs: number): Rebuilder {
  let timer: NodeJS.Timeout | null = null;
  let firstAt = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const waiters: Array<() => void> = [];

  const settle = () => {
    if (!timer && !running) for (const w of waiters.splice(0)) w();
  };
  const start = () => {
    timer = null;
    if (closed) return settle();
    if (running) {
      again = true;
      return;
    }
    running = rebuild().finally(() => {
      running = null;
      if (again && !closed) {
        again = false;
        schedule();
      }
      settle();
    });
  };
  const schedule = () => {
    const now = Date.now();
    if (timer) clearTimeout(timer);
    else firstAt = now;
    timer = setTimeout(start, Math.max(0, Math.min(delayMs, firstAt + MAX_WAIT_MS - now)));
  };
  return {
    touch() {
      if (closed) return;
      if (running) again = true;
      else schedule();
    },
    idle: () => new Promise<void>((resolve) => (timer || running ? waiters.push(resolve) : resolve())),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      settle();
    },
  };
}

/** Watches the articles folder (hidden files and folders ignored, as the corpus stage ignores them). */
export function watchArticles(folder: string, onChange: () => void, onError: (err: unknown) => void): { close(): Promise<void>; ready: Promise<void> } {
  const root = path.resolve(folder);
  const watcher = watch(root, {
    ignoreInitial: true,
    ignored: (p: string) => path.relative(root, p).split(path.sep).some((part) => part.startsWith('.')),
  });
  watcher.on('all', () => onChange());
  watcher.on('error', onError);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
}
