// Error kinds → exit codes, in one place (server/errors.ts maps the same
// kinds to HTTP statuses).
import { CommanderError } from 'commander';
import { BroadsheetError, type ErrorKind, InputError, TransportUnavailableError, kindOf } from '../errors.ts';

export const EXIT = {
  ok: 0,
  /** Some input was rejected (a source, a CSV row, a delivery); the rest was processed. */
  rejected: 1,
  /** Bad configuration, template or command line; nothing was done. */
  usage: 2,
  /** A service (database, SMTP server, disk) could not do its part. */
  unavailable: 69,
  /** A bug or an unexpected failure. */
  internal: 70,
  /** Another run holds the lease: try again later. */
  busy: 75,
  /** Stopped by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  config: EXIT.usage,
  invalid: EXIT.usage,
  'not-found': EXIT.rejected,
  unavailable: EXIT.unavailable,
  busy: EXIT.busy,
  'rate-limited': EXIT.busy,
  interrupted: EXIT.interrupted,
};

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const kind = kindOf(err);
  return kind === 'internal' ? EXIT.internal : BY_KIND[kind];
}

/** The message for an error the user can act on; a stack trace only for bugs. */
export function describeError(err: unknown): string {
  if (err instanceof InputError) return `error: ${err.field}: ${err.message}`;
  if (err instanceof TransportUnavailableError) return `error: mail: ${err.message}`;
  if (err instanceof BroadsheetError) {
    // Messages that already say where (`file:line: error: …`) are shown as they are.
    return /^\S.*?: error: /.test(err.message) ? err.message : `error: ${err.message}`;
  }
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return `internal error: ${String(err)}`;
}
