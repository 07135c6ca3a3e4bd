// The named errors that cross module boundaries. Each says where the
// problem is in its message; the CLI maps them to exit codes (cli/exit.ts)
// and the server to HTTP statuses, each in one place. This module imports
// nothing, so the mapping costs nothing to load.

/** A config file, environment variable or flag has a bad value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The articles folder is missing or unreadable. */
export class SourceFolderError extends Error {
  override name = 'SourceFolderError';
}

/** A page or email template does not parse or render. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** An MJML template fails MJML's validator. */
export class MjmlError extends Error {
  override name = 'MjmlError';
}

/** The database cannot be opened or migrated. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** Bad input from a person or a file, naming the field. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly field: 'email' | 'name' | 'schedule' | 'token',
    message: string,
  ) {
    super(message);
  }
}

/** A CSV file's header is not what the import expects. */
export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
}

/** The command line is wrong. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The mail transport is unusable as a whole (server down, login refused): stop, retry later. */
export class TransportUnavailableError extends Error {
  override name = 'TransportUnavailableError';
}
