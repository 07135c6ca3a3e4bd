// The process edge: the real console, environment and clock.
import { randomBytes } from 'node:crypto';
import { run } from './program.ts';

const code = await run(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  clock: () => new Date(),
  random: (bytes) => randomBytes(bytes).toString('hex'),
  stdin: process.stdin,
});
process.exitCode = code;
