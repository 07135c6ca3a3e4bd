// Build benchmark: a full build of 10,000 articles, a rebuild with nothing
// changed, and a rebuild after one source changed.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSite } from '../src/app/wiring.ts';
import { configSchema } from '../src/config/schema.ts';
import { openStore } from '../src/store/open.ts';
import { createEngine, readTemplates } from '../src/templates/engine.ts';
import { type Bench, measure } from './measure.ts';

export async function benchBuild(count: number): Promise<Bench[]> {
  const root = path.resolve(import.meta.dirname, '..');
  const dir = await mkdtemp(path.join(tmpdir(), 'broadsheet-bench-'));
  try {
    const samples = await Promise.all(
      ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt'].map((f) => readFile(path.join(root, 'articles', f), 'utf8')),
    );
    const articles = path.join(dir, 'articles');
    // 100 folders of 100 files, each a sample with a unique first line.
    for (let i = 0; i < count; i++) {
      const folder = path.join(articles, String(Math.floor(i / 100)).padStart(3, '0'));
      if (i % 100 === 0) await mkdir(folder, { recursive: true });
      const text = samples[i % 2]!.replace(/^(\s*)(\S)/, `$1第${i}号 $2`);
      await writeFile(path.join(folder, `a${i}.txt`), text);
    }
    const config = configSchema.parse({
      paths: { articles, out: path.join(dir, 'public'), data: path.join(dir, 'data'), templates: path.join(root, 'templates') },
    });
    const engine = createEngine(await readTemplates(config.paths.templates));
    const run = async (at: string) => {
      const store = await openStore({ sqlitePath: path.join(dir, 'data', 'b.db') }, () => new Date(at));
      try {
        return await buildSite(config, store, engine, new Date(at));
      } finally {
        await store.close();
      }
    };
    const results: Bench[] = [];
    results.push(await measure(`build: full, ${count} sources`, () => run('2026-11-25T00:00:00Z')));
    results.push(await measure(`build: nothing changed, ${count} sources`, () => run('2026-11-25T01:00:00Z')));
    const one = path.join(articles, '042', 'a4242.txt');
    await writeFile(one, (await readFile(one, 'utf8')).replace('。', ',有改动。'));
    results.push(await measure(`build: one source changed, ${count} sources`, () => run('2026-11-25T02:00:00Z')));
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
