// Build benchmark, inside this process (start-up excluded; bench/peers/build.ts
// times whole commands against Hugo): the 10,000-source corpus of issue 12
// (gen_corpus.py, seed 1) built cold into a new folder, rebuilt with nothing
// changed, rebuilt after one source changed; and the build command run in
// this process after one source's text changed (patched in place).
import { readdirSync } from 'node:fs';
import { appendFile, cp, mkdtemp, rm, utimes } from 'node:fs/promises';
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
const { run: runCommand } = await load<typeof import('../src/cli/program.ts')>('cli/program');
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

    // The build command, in this process (its modules loaded by a first run,
    // as a long-lived process has them): with one source's text changed it
    // brings that page up to date in place (publish/patch.ts). The source is
    // dated back a little, as a file at rest is, so the stamp trusts it.
    const cli = async () => {
      let stdout = '';
      const code = await runCommand(['build', '--now', NOW], {
        stdout: (t) => void (stdout += t),
        stderr: () => undefined,
        stderrIsTTY: false,
        env: { BROADSHEET_ARTICLES: articles, BROADSHEET_OUT: path.join(dir, 'public'), BROADSHEET_DATA: path.join(dir, 'data'), BROADSHEET_TEMPLATES: path.join(root, 'templates') },
        clock: () => new Date(),
        random: (n) => 'ab'.repeat(n),
        stdin: process.stdin,
        onInterrupt: () => () => undefined,
        exitNow: (c) => process.exit(c),
      });
      if (code !== 0) throw new Error(`build exited ${code}`);
      return stdout.trim().split('\n').at(-1);
    };
    await cli();
    await cli();
    const edit = async (n: number) => {
      await appendFile(path.join(articles, first), `\n\n又补充了第${n}段。\n`);
      const past = new Date(Date.now() - 1000);
      await utimes(path.join(articles, first), past, past);
    };
    await edit(1);
    await cli(); // loads the modules of the patch
    const runs: Bench[] = [];
    for (let n = 2; n < 7; n++) {
      await edit(n);
      runs.push(await measure(`build command in-process: one source's text changed, ${label} (patched in place)`, cli, (r) => String(r)));
    }
    runs.sort((a, b) => a.ms - b.ms);
    const median = runs[Math.floor(runs.length / 2)]!;
    results.push({ ...median, note: `median of ${runs.length}; ${median.note ?? ''}` });
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
