// Parse benchmark: decode + parse (parseInput) of every source under a
// folder, all read into memory first, timed on one core. The first pass is
// what a build pays (the JIT starts cold); the second shows the parser warm.
//
// Standalone, from the project folder (taskset pins it to one core):
//   taskset -c 0 node --expose-gc --import tsx --input-type=module -e "
//     const { benchParse } = await import('./bench/parse.ts');
//     const { table } = await import('./bench/measure.ts');
//     console.log(table(await benchParse('/tmp/bs-corpus/10k')));"
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseInput, type SourceInput } from '../src/parse/input.ts';
import { type Bench, measure } from './measure.ts';

const OPTIONS = { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 2 * 1024 * 1024 };
const FIRST_SEEN = '2026-11-25T06:00:00+08:00';

/** Every *.txt and *.md under dir (hidden files and folders left out), sorted, read into memory. */
async function readSources(dir: string): Promise<SourceInput[]> {
  const names = (await readdir(dir, { recursive: true }))
    .filter((rel) => /\.(txt|md)$/.test(rel) && !rel.split(path.sep).some((part) => part.startsWith('.')))
    .sort();
  return Promise.all(
    names.map(async (rel) => {
      const bytes = await readFile(path.join(dir, rel));
      const stem = rel.replace(/\.(txt|md)$/, '').split(path.sep).join('/');
      return { source: `articles/${stem}`, stem, bytes, size: bytes.length, firstSeen: FIRST_SEEN };
    }),
  );
}

export async function benchParse(dir: string): Promise<Bench[]> {
  const inputs = await readSources(dir);
  const megabytes = inputs.reduce((sum, i) => sum + i.bytes.length, 0) / 2 ** 20;
  const rows: Bench[] = [];
  for (const pass of ['first pass', 'second pass']) {
    let articles = 0;
    const row = await measure(`parse: ${inputs.length} sources, ${pass}`, async () => {
      for (const input of inputs) articles += parseInput(input, OPTIONS).articles.length;
    });
    // measure's note sees only the result; the rates need its time as well.
    const seconds = row.ms / 1000;
    row.note = `${Math.round(articles / seconds)} articles/s, ${(megabytes / seconds).toFixed(1)} MB/s`;
    rows.push(row);
  }
  return rows;
}
