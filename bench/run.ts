// `npm run bench`: speed and memory figures for the README and the notes.
import { benchBuild } from './build.ts';
import { benchDigest } from './digest.ts';
import { benchImport } from './import.ts';
import { benchSend } from './send.ts';
import { type Bench, table } from './measure.ts';

const only = process.argv[2];
const rows: Bench[] = [];
if (!only || only === 'digest') rows.push(...(await benchDigest(10_000)));
if (!only || only === 'import') rows.push(...(await benchImport(100_000)));
if (!only || only === 'send') rows.push(...(await benchSend([2_000, 10_000])));
if (!only || only === 'build') rows.push(...(await benchBuild(Number(process.env.BENCH_ARTICLES ?? 10_000))));
console.log(table(rows));
