// Who is asking, and how often. POST /subscribe may send a confirmation email,
// so it is limited per client address (a flood gets 429) and per target
// address (no one can be mail-bombed through us, from however many clients).
// Counters live in memory (rate-limiter-flexible): one process serves.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { RateLimitError } from './errors.ts';

export interface SubscribeLimits {
  /** Counts a request from this client; throws RateLimitError past the limit. */
  client(address: string): Promise<void>;
  /** Counts a request for this (normalised) email address; throws RateLimitError past the limit. */
  target(email: string): Promise<void>;
}

async function take(limiter: RateLimiterMemory, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw new RateLimitError(message, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    throw err;
  }
}

export function subscribeLimits(config: Config['server']['rateLimit']): SubscribeLimits {
  const duration = config.windowMinutes * 60;
  const perClient = new RateLimiterMemory({ points: config.perClient, duration, keyPrefix: 'client' });
  const perTarget = new RateLimiterMemory({ points: config.perAddress, duration, keyPrefix: 'target' });
  return {
    client: (address) => take(perClient, address, 'too many subscribe requests from this address'),
    target: (email) => take(perTarget, email, 'too many subscribe requests for this email address'),
  };
}

/**
 * The client's address: the socket's peer, or behind a trusted reverse proxy
 * the last X-Forwarded-For entry, the one our proxy added (earlier entries
 * come from the client and can be forged).
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) return last;
  }
  return socketAddress ?? 'unknown';
}
