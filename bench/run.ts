// `npm run bench`: speed and memory figures for the README and the notes.
//
//   npm run bench [digest|import|send|build|parse|startup]
//
// The whole commands against their peers first (bench/peers/): `broadsheet
// build` of the 10,000-source corpus next to Hugo building the same articles
// (Hugo only where it is installed; the table says so otherwise), rebuilds
// with nothing or one source changed, and `broadsheet --help` start-up; then
// the in-process benches (digest, import, send, build, parse). Every
// part's figures are merged into bench/results.json. `npm run bench` builds
// dist/ first: the whole commands run what `broadsheet` runs.
import { distIsCurrent } from '../bin/freshness.js';
import { CODE, benchBuild } from './build.ts';
import { benchDigest } from './digest.ts';
import { benchImport } from './import.ts';
import { type Bench, table } from './measure.ts';
import { benchParse } from './parse.ts';
import { benchBuild as peerBuild } from './peers/build.ts';
import { type Row, corpus, remove, saveResults, table as peerTable } from './peers/lib.ts';
import { benchStartup } from './peers/startup.ts';
import { benchSend } from './send.ts';

const only = process.argv[2];
const want = (part: string) => !only || only === part;
const sources = Number(process.env.BENCH_ARTICLES ?? 10_000);

// The whole commands first: the in-process parts delete their temporary
// folders, and on a disk with slow spells after a deletion the whole
// commands measured next would pay for it.
const peers: Row[] = [];
if (!distIsCurrent()) console.log('\nwarning: dist/ is not built from the current sources; the whole commands run them through tsx');
// The build rounds' folders are removed as the bench ends: after the
// in-process parts, or when one of them fails.
const removeAtEnd: string[] = [];
process.on('exit', () => removeAtEnd.forEach(remove));
if (want('build')) {
  const got = peerBuild(sources, 3, (dir) => removeAtEnd.push(dir));
  saveResults(`peers.build.${sources}`, { rows: got });
  peers.push(...got);
}
if (want('startup')) {
  const got = benchStartup(10);
  saveResults('peers.startup', { rows: got });
  peers.push(...got);
}
if (peers.length > 0) console.log(`\n${peerTable(peers)}`);

const rows: Bench[] = [];
const part = async (name: string, run: () => Promise<Bench[]>) => {
  if (!want(name)) return;
  const got = await run();
  saveResults(`inprocess.${name}`, { rows: got });
  rows.push(...got);
};
await part('digest', () => benchDigest(10_000));
await part('import', () => benchImport(100_000));
await part('send', () => benchSend([10_000, 100_000]));
await part('build', async () => (await benchBuild(sources)).map((r) => ({ ...r, note: `${r.note ?? ''} (${CODE})` })));
await part('parse', () => benchParse(corpus(sources)));
if (rows.length > 0) console.log(table(rows));
