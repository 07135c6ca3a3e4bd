// What a command may use from the outside world. main.ts builds the real one;
// nothing below the CLI reads process.env, the clock or the console directly.
import type { Config } from '../config/schema.ts';
import { UsageError } from '../errors.ts';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The real clock; commands with --now use that instead. */
  clock: () => Date;
  /** Random bytes as lower-case hex. */
  random: (bytes: number) => string;
  /** Standard input, for commands that read a file named "-". */
  stdin: NodeJS.ReadableStream;
}

/** Parses a --now value: RFC 3339 / ISO 8601 with a date. */
export function parseNow(value: string | undefined, io: Io): Date {
  if (value === undefined) return io.clock();
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new UsageError(`--now: "${value}" is not an ISO 8601 date-time (e.g. 2026-11-25T08:00:00+08:00)`);
  }
  return d;
}

export interface GlobalOptions {
  config?: string;
}

export async function configFor(
  io: Io,
  global: GlobalOptions,
  overrides: Array<[string[], string | undefined]> = [],
): Promise<Config> {
  // Loaded on demand: `--help` should not pay for the config machinery.
  const { loadConfig } = await import('../config/load.ts');
  const { config } = await loadConfig({ file: global.config, env: io.env, overrides });
  return config;
}
