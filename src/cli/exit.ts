// Named errors → exit codes, in one place.
import { CommanderError } from 'commander';
import {
  ConfigError,
  CsvHeaderError,
  InputError,
  MjmlError,
  SourceFolderError,
  StoreError,
  TemplateError,
  TransportUnavailableError,
  UsageError,
} from '../errors.ts';

export const EXIT = {
  ok: 0,
  /** Some input was rejected (a source, a CSV row); the rest was processed. */
  rejected: 1,
  /** Bad configuration or command line; nothing was done. */
  usage: 2,
  /** A service (database, SMTP server) could not be reached. */
  unavailable: 69,
  /** A bug or an unexpected failure. */
  internal: 70,
} as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (
    err instanceof ConfigError ||
    err instanceof SourceFolderError ||
    err instanceof UsageError ||
    err instanceof TemplateError ||
    err instanceof MjmlError ||
    err instanceof InputError ||
    err instanceof CsvHeaderError
  ) {
    return EXIT.usage;
  }
  if (err instanceof StoreError || err instanceof TransportUnavailableError) return EXIT.unavailable;
  return EXIT.internal;
}

/** The message for an error the user can act on; a stack trace only for bugs. */
export function describeError(err: unknown): string {
  if (
    err instanceof ConfigError ||
    err instanceof SourceFolderError ||
    err instanceof TemplateError ||
    err instanceof StoreError ||
    err instanceof MjmlError ||
    err instanceof CsvHeaderError
  ) {
    return err.message;
  }
  if (err instanceof InputError) return `error: ${err.field}: ${err.message}`;
  if (err instanceof TransportUnavailableError) return `error: mail: ${err.message}`;
  if (err instanceof UsageError) return `error: ${err.message}`;
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return `internal error: ${String(err)}`;
}
