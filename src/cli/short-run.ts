// What a short batch run (`build`, `check`) asks of the process: main.ts
// hands it to the commands as Io.shortRun.
import { createRequire } from 'node:module';

/**
 * V8 settings for a short batch run, set before its worker threads start
 * (V8's flags are the process's, the threads' too). V8 inlines callees of up
 * to 460 bytes of bytecode into each function it optimises; the parser's big
 * functions, optimised again each time a rarer shape of article reaches
 * them, then cost 25-50 ms of compiling each time: 2.4 s of the compiler
 * threads' CPU in a cold build of 10,000 sources, more than the parsing
 * itself. Inlining only small callees (up to 60 bytes) halves that: in
 * alternated runs the cold build took 0.05-0.67 s less CPU (of 4-8 s) and up
 * to 0.4 s less time. Long-running commands (`serve`, `send`) keep V8's
 * defaults.
 */
export const SHORT_RUN_V8_FLAGS = '--max-inlined-bytecode-size=60';

// node:v8 on first use, as main.ts loads node:crypto: `--help` needs neither.
const builtin = createRequire(import.meta.url);

export function shortRun(): void {
  (builtin('node:v8') as typeof import('node:v8')).setFlagsFromString(SHORT_RUN_V8_FLAGS);
}
