// What a command may use from the outside world. main.ts builds the real one;
// nothing below the CLI reads process.env, the clock, signals or the console
// directly.
import type { Command } from 'commander';
import type { Settings } from '../config/settings.ts';
import { UsageError } from '../errors.ts';

export interface Io {
  stdout: (text: string) => void;
  /** Text, or bytes already encoded (a build's stored diagnostics, megabytes of them). */
  stderr: (text: string | Uint8Array) => void;
  /** Whether stderr is a terminal (a live progress line) or a log (JSON lines). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** The real clock; commands with --now use that instead. */
  clock: () => Date;
  /** Random bytes as lower-case hex. */
  random: (bytes: number) => string;
  /** Standard input, for commands that read a file named "-". */
  stdin: NodeJS.ReadableStream;
  /** Subscribes to SIGINT and SIGTERM; returns the unsubscribe. */
  onInterrupt: (handler: () => void) => () => void;
  /** Ends the process now (a second Ctrl-C). */
  exitNow: (code: number) => never;
  /**
   * Tells the process that this command is a short batch run (it parses and
   * renders thousands of articles, then exits), so the JavaScript engine may
   * trade some peak speed for less compiling. Absent in tests (in-process).
   */
  shortRun?: () => void;
}

export type { Settings } from '../config/settings.ts';

/** Parses a --now value: RFC 3339 / ISO 8601 with a date. */
export function parseNow(value: string | undefined, io: Pick<Io, 'clock'>): Date {
  if (value === undefined) return io.clock();
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new UsageError(`--now: "${value}" is not an ISO 8601 date-time (e.g. 2026-11-25T08:00:00+08:00)`);
  }
  return d;
}

export interface GlobalOptions {
  config?: string;
  allowLocal?: boolean;
}

/** The config (file, environment, flags) and the environment's secrets and URLs, validated once. */
export async function settingsFor(
  io: Io,
  cmd: Command,
  overrides: Array<[string[], string | undefined]> = [],
): Promise<Settings> {
  // Loaded on demand: `--help` should not pay for the config machinery.
  const { loadSettings } = await import('../config/settings.ts');
  const global = cmd.optsWithGlobals<GlobalOptions>();
  return loadSettings({ file: global.config, env: io.env, overrides, allowLocal: global.allowLocal });
}

/** A random number in [0, 1), from the Io's randomness. */
export function randomFraction(io: Pick<Io, 'random'>): number {
  return parseInt(io.random(6), 16) / 2 ** 48;
}
