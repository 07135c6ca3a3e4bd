// The named errors that cross module boundaries. Each says where the problem
// is in its message and has a kind; the kinds are mapped once to exit codes
// (cli/exit.ts) and once to HTTP statuses (server/errors.ts). This module
// imports nothing, so the mapping costs nothing to load.

export type ErrorKind =
  /** The configuration, a template or the command line is wrong: nothing was done. */
  | 'config'
  /** Input from a person or a file is wrong (an address, a token, a CSV header). */
  | 'invalid'
  /** The thing asked for does not exist. */
  | 'not-found'
  /** A service (database, SMTP server, disk) cannot do its part now; try again later. */
  | 'unavailable'
  /** Another run holds the lock; try again later. */
  | 'busy'
  /** Too many requests from one client. */
  | 'rate-limited'
  /** Stopped on request (Ctrl-C, SIGTERM). */
  | 'interrupted';

export abstract class BroadsheetError extends Error {
  abstract readonly kind: ErrorKind;
}

/** A config file, environment variable or flag has a bad value. */
export class ConfigError extends BroadsheetError {
  override name = 'ConfigError';
  readonly kind = 'config';
}

/** The command line is wrong. */
export class UsageError extends BroadsheetError {
  override name = 'UsageError';
  readonly kind = 'config';
}

/** The articles folder is missing or unreadable. */
export class SourceFolderError extends BroadsheetError {
  override name = 'SourceFolderError';
  readonly kind = 'config';
}

/** A page or email template does not parse or render. */
export class TemplateError extends BroadsheetError {
  override name = 'TemplateError';
  readonly kind = 'config';
}

/** An MJML template fails MJML's validator. */
export class MjmlError extends BroadsheetError {
  override name = 'MjmlError';
  readonly kind = 'config';
}

/** The database cannot be opened, migrated or written. */
export class StoreError extends BroadsheetError {
  override name = 'StoreError';
  readonly kind = 'unavailable';
}

/** Bad input from a person or a file, naming the field. */
export class InputError extends BroadsheetError {
  override name = 'InputError';
  readonly kind = 'invalid';
  constructor(
    readonly field: 'email' | 'name' | 'schedule' | 'token' | 'body',
    message: string,
  ) {
    super(message);
  }
}

/** A CSV file's header is not what the import expects. */
export class CsvHeaderError extends BroadsheetError {
  override name = 'CsvHeaderError';
  readonly kind = 'invalid';
}

/** Something named (an edition, a subscriber) does not exist. */
export class NotFoundError extends BroadsheetError {
  override name = 'NotFoundError';
  readonly kind = 'not-found';
}

/** The mail transport is unusable as a whole (server down, login refused): stop, retry later. */
export class TransportUnavailableError extends BroadsheetError {
  override name = 'TransportUnavailableError';
  readonly kind = 'unavailable';
}

/** Writing output failed for lack of space or permission: stop, fix the disk, run again. */
export class OutputError extends BroadsheetError {
  override name = 'OutputError';
  readonly kind = 'unavailable';
}

/** Another run did what this one set out to do (froze the schedule's edition meanwhile): nothing done, nothing lost. */
export class BusyError extends BroadsheetError {
  override name = 'BusyError';
  readonly kind = 'busy';
}

/** The kind of any error; anything not named is a bug. */
export function kindOf(err: unknown): ErrorKind | 'internal' {
  return err instanceof BroadsheetError ? err.kind : 'internal';
}
