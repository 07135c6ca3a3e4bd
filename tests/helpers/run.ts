import { spawn } from 'node:child_process';

/** Runs an outside program; a missing program is an error, never a skip. */
export function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`cannot run ${cmd} (${(err as NodeJS.ErrnoException).code}): install it (see README, Tests)`)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Debian's python3, where python3-feedparser installs (BROADSHEET_TEST_PYTHON overrides). */
export const PYTHON = process.env.BROADSHEET_TEST_PYTHON ?? '/usr/bin/python3';
