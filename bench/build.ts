// Build benchmark, inside this process (start-up excluded; bench/peers/build.ts
// times whole commands against Hugo): the 10,000-source corpus of issue 12
// (gen_corpus.py, seed 1) built cold into a new folder, rebuilt with nothing
// changed, rebuilt after one source changed.
import { readdirSync } from 'node:fs';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distIsCurrent } from '../bin/freshness.js';
import { type Bench, measure } from './measure.ts';
import { corpus } from './peers/lib.ts';

// The compiled code when dist/ is current (as `broadsheet` runs it: worker
// threads then start from JavaScript, not through tsx), else the sources.
const [base, ext] = distIsCurrent() ? ['../dist/', '.js'] : ['../src/', '.ts'];
const load = <T>(module: string): Promise<T> => import(`${base}${module}${ext}`) as Promise<T>;
const { buildSite } = await load<typeof import('../src/app/wiring.ts')>('app/wiring');
const { configSchema } = await load<typeof import('../src/config/schema.ts')>('config/schema');
const { openStore } = await load<typeof import('../src/store/open.ts')>('store/open');
const { createEngine, readTemplates } = await load<typeof import('../src/templates/engine.ts')>('templates/engine');
/** Which code was measured, for the notes. */
export const CODE = base === '../dist/' ? 'dist/' : 'src/ (through tsx)';

const NOW = '2026-04-01T08:00:00+08:00';

export async function benchBuild(count: number): Promise<Bench[]> {
  const root = path.resolve(import.meta.dirname, '..');
  const source = corpus(count);
  const dir = await mkdtemp(path.join(tmpdir(), 'broadsheet-bench-'));
  try {
    const articles = path.join(dir, 'articles');
    await cp(source, articles, { recursive: true });
    const config = configSchema.parse({
      paths: { articles, out: path.join(dir, 'public'), data: path.join(dir, 'data'), templates: path.join(root, 'templates') },
    });
    const engine = createEngine(await readTemplates(config.paths.templates));
    const run = async () => {
      const store = await openStore({ sqlitePath: path.join(dir, 'data', 'b.db') }, () => new Date(NOW));
      try {
        return await buildSite(config, store, engine, new Date(NOW));
      } finally {
        await store.close();
      }
    };
    const said = (r: unknown) => {
      const { corpus: c, report } = r as Awaited<ReturnType<typeof run>>;
      return `${c.articles.length} articles, ${c.reparsed} parsed, ${report.pagesWritten} pages written, ${report.changedFiles.length} files changed`;
    };
    const label = `${count.toLocaleString('en')} sources`;
    const results: Bench[] = [];
    results.push(await measure(`build in-process: cold, ${label}, new output folder`, run, said));
    results.push(await measure(`build in-process: nothing changed, ${label}`, run, said));
    const first = readdirSync(articles).sort()[0]!;
    await appendFile(path.join(articles, first), '\n\n记者当天还走访了多家企业，了解项目推进情况。\n');
    results.push(await measure(`build in-process: one source changed, ${label}`, run, said));
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
