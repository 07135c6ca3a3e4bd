// Taking turns to write: the threads that render pages write them one thread
// at a time. Files created in one folder by two threads at once cost the
// kernel twice the CPU (each waits for the folder's lock by spinning) and
// are done no sooner; taking turns, one thread renders while the other
// writes. The turn is one Int32 of shared memory (0: nobody's), shared by
// every thread that writes into the output.

/** A new turn, to hand to every thread (it crosses threads by reference). */
export function newWriteTurn(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** Longest a thread waits for its turn. A turn is one batch of pages: milliseconds, or tens of them on a slow disk. */
const PATIENCE_MS = 2000;

/**
 * Runs fn when no other thread is in its turn, and lets the next one in
 * after. Waiting sleeps (a futex); it does not spin. The turn saves CPU and
 * nothing else depends on it: a thread that has waited `patienceMs` without
 * a turn coming free (another thread stopped in its turn: killed, crashed)
 * runs fn anyway rather than wait forever.
 */
export function inTurn<T>(turn: Int32Array, fn: () => T, patienceMs = PATIENCE_MS): T {
  let mine = Atomics.compareExchange(turn, 0, 0, 1) === 0;
  while (!mine) {
    if (Atomics.wait(turn, 0, 1, patienceMs) === 'timed-out') break;
    mine = Atomics.compareExchange(turn, 0, 0, 1) === 0;
  }
  try {
    return fn();
  } finally {
    if (mine) {
      Atomics.store(turn, 0, 0);
      Atomics.notify(turn, 0, 1);
    }
  }
}
