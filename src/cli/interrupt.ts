// Ctrl-C and SIGTERM during a long command: the first asks the work to
// finish what is in flight and stop; a second ends the process at once.
import { EXIT } from './exit.ts';
import type { Io } from './io.ts';

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function interruptSignal(io: Pick<Io, 'onInterrupt' | 'stderr' | 'exitNow'>, what: string): Interrupt {
  const controller = new AbortController();
  const dispose = io.onInterrupt(() => {
    if (controller.signal.aborted) io.exitNow(EXIT.interrupted);
    io.stderr(`\ninterrupted: ${what} (Ctrl-C again to quit at once)\n`);
    controller.abort();
  });
  return { signal: controller.signal, dispose };
}

/**
 * Waits, unless the signal aborts first. Whichever comes first removes the
 * other: a run that waits for retries many times must not leave one abort
 * listener per wait on its signal (Node warns past ten: MaxListenersExceededWarning).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
