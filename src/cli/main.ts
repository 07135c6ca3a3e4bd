// The process edge: the real console, environment, clock, randomness and signals.
import { createRequire } from 'node:module';
import { run } from './program.ts';
import { shortRun } from './short-run.ts';

// node:crypto on first use: loading it costs `--help` more than the rest of its work.
const builtin = createRequire(import.meta.url);
const randomBytes = (n: number): Buffer => (builtin('node:crypto') as typeof import('node:crypto')).randomBytes(n);

// `broadsheet subscribers list | head -1`: the reader went away; stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  clock: () => new Date(),
  random: (bytes) => randomBytes(bytes).toString('hex'),
  stdin: process.stdin,
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
  exitNow: (code) => process.exit(code),
  shortRun,
});
process.exitCode = code;
