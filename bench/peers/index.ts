// Whole-command benchmarks against the tools a user would pick instead:
// every command runs as a child process (start-up counts), alternated with
// its peer, and the medians are compared. Figures, not pass/fail.
//
//   node --import tsx bench/peers/index.ts [build] [startup] [send] [options]
//
// With no part named, runs all three. Options:
//   --runs N           rounds of each comparison (default 3; start-up: 10)
//   --sources N        corpus size for build (default 10000; generated into bench/.cache/)
//   --subscribers N    recipients for send (default 10000; 100000 is slow)
//   --dkim             send: also measure both sides with DKIM signing
// Environment: BENCH_CORPUS=DIR uses that corpus instead of generating one;
// BENCH_SHARED=DIR where gen_corpus.py, hugo_peer.sh, sink.mjs live
// (default /work/shared/bench).
// Prints a markdown table to stdout and merges its keys into bench/results.json:
// peers.build.<sources>, peers.startup, peers.send.<subscribers> (so a small
// trial run does not overwrite the 10,000 figures). BENCH_CLI_ROOT=DIR
// measures another checkout's bin/broadsheet.js (e.g. the last commit).
// Needs python3 (timing); Hugo is optional (apt-get install hugo): without
// it the build rows have no peer. Run one heavy benchmark at a time: the
// machine has 2 cores, and a "NOISY" note says others used CPU meanwhile.
import { parseArgs } from 'node:util';
import { benchBuild } from './build.ts';
import { type Row, saveResults, table } from './lib.ts';
import { benchSend } from './send.ts';
import { benchStartup } from './startup.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' },
    sources: { type: 'string', default: '10000' },
    subscribers: { type: 'string', default: '10000' },
    dkim: { type: 'boolean', default: false },
  },
});
const parts = positionals.length ? positionals : ['build', 'startup', 'send'];
for (const p of parts) if (!['build', 'startup', 'send'].includes(p)) throw new Error(`unknown part ${p}: build, startup or send`);
const runs = values.runs === undefined ? undefined : Number(values.runs);

const all: Row[] = [];
for (const part of parts) {
  const rows =
    part === 'build' ? benchBuild(Number(values.sources), runs ?? 3)
    : part === 'startup' ? benchStartup(runs ?? 10)
    : await benchSend(Number(values.subscribers), runs ?? 3, values.dkim);
  const size = part === 'build' ? `.${values.sources}` : part === 'send' ? `.${values.subscribers}` : '';
  saveResults(`peers.${part}${size}`, { rows });
  all.push(...rows);
}
console.log(table(all));
