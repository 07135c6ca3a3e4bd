// `npm run bench`: speed and memory figures for the README and the notes.
import { benchBuild } from './build.ts';
import { benchDigest } from './digest.ts';
import { type Bench, table } from './measure.ts';

const only = process.argv[2];
const rows: Bench[] = [];
if (!only || only === 'digest') rows.push(...(await benchDigest(10_000)));
if (!only || only === 'build') rows.push(...(await benchBuild(Number(process.env.BENCH_ARTICLES ?? 10_000))));
console.log(table(rows));
