// Error kinds → HTTP statuses, in one place (cli/exit.ts maps the same kinds
// to exit codes). Handlers throw named errors; the app's error handler asks
// here for the status and renders a readable page.
import { BroadsheetError, type ErrorKind, kindOf } from '../errors.ts';

const BY_KIND: Record<ErrorKind | 'internal', number> = {
  /** Our configuration or a template is broken: our fault. */
  config: 500,
  /** The request's input (an address, a token, a form field) is wrong. */
  invalid: 400,
  'not-found': 404,
  /** The database or the mail server cannot do its part now. */
  unavailable: 503,
  busy: 503,
  'rate-limited': 429,
  /** The service is stopping. */
  interrupted: 503,
  internal: 500,
};

export function statusOf(err: unknown): number {
  return BY_KIND[kindOf(err)];
}

/** Too many requests from one client or for one address. */
export class RateLimitError extends BroadsheetError {
  override name = 'RateLimitError';
  readonly kind = 'rate-limited';
  constructor(
    message: string,
    /** Seconds until another request may succeed (Retry-After). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
