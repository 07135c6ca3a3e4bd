// Pacing deliveries to mail.smtp.rateLimit, shared by every worker: the
// limit is what the relay allows, not what each process may send. Tokens
// come from a bucket in the store (one transaction per grant of a fifth of a
// second's worth), so three workers against a limit of 50/s send 50/s
// between them, not 150.
import type { RateStore } from './store.ts';

/** Waits until one more message may go; false if the signal aborted first. */
export type Pace = (signal?: AbortSignal) => Promise<boolean>;

export interface PaceDeps {
  rates: RateStore;
  clock: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1): spreads the retries of workers that found the bucket empty. */
  jitter: () => number;
}

/** The bucket every worker draws on. */
export const SMTP_BUCKET = 'smtp';

/** No limit (rateLimit 0): every message may go at once. */
export const unpaced: Pace = async (signal) => !signal?.aborted;

export function pacer(deps: PaceDeps, perSecond: number): Pace {
  if (perSecond <= 0) return unpaced;
  // A grant is a fifth of a second's worth: few transactions. The bucket
  // holds two grants, so the tokens that fill while a taker sleeps a little
  // longer than one grant's time (the jitter) are not thrown away, which
  // kept the rate some 15% under the limit; a burst after a quiet spell is
  // still at most two fifths of a second's worth.
  const grant = Math.max(1, Math.ceil(perSecond / 5));
  const capacity = 2 * grant;
  let allowance = 0;
  let asking: Promise<void> | null = null;
  const ask = async (signal?: AbortSignal) => {
    const got = await deps.rates.take(SMTP_BUCKET, grant, perSecond, capacity, deps.clock());
    allowance += got;
    // Empty: come back when a grant has had time to fill, give or take.
    if (got === 0) await deps.sleep(Math.ceil((grant / perSecond) * 1000 * (0.5 + deps.jitter())), signal);
  };
  return async (signal) => {
    for (;;) {
      if (signal?.aborted) return false;
      if (allowance > 0) {
        allowance--;
        return true;
      }
      // One request to the store at a time; the lanes waiting share its grant.
      asking ??= ask(signal).finally(() => {
        asking = null;
      });
      await asking;
    }
  };
}
