import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'broadsheet.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Run as this user and group (a test running as root needs another user for permissions to apply). */
  user?: { uid: number; gid: number };
  /** A command the CLI runs under, e.g. `['unshare', '-rm', 'sh', '-c', 'mount … && exec "$0" "$@"']`. */
  prefix?: string[];
}

/** Starts the real `broadsheet` binary as a child process; `done` settles when it exits. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult & { signal: NodeJS.Signals | null }> } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (key.startsWith('BROADSHEET_') || key === 'DATABASE_URL' || key === 'SMTP_URL') delete env[key];
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const command = [...(options.prefix ?? []), process.execPath, BIN, ...args];
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd ?? ROOT, env, stdio: 'pipe', ...(options.user ?? {}) });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  child.stdin!.end(options.input ?? '');
  return { child, done };
}

/** Runs the real `broadsheet` binary as a child process. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
