// A throwaway site for build tests: articles in a temp folder, the project's
// real templates, a real SQLite file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type BuildReport } from '../../src/build/build.ts';
import { parserCodeKey } from '../../src/build/cache.ts';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { openStore } from '../../src/store/open.ts';
import { createEngine, readTemplates } from '../../src/templates/engine.ts';
import { ROOT } from './cli.ts';
import { tempDir, writeFiles } from './tmp.ts';

export interface TestSite {
  dir: string;
  config: Config;
  build(now: string, paths?: { articles?: string }): Promise<BuildReport>;
  read(rel: string): Promise<string>;
  write(files: Record<string, string | Uint8Array>): Promise<void>;
}

export async function makeSite(
  articles: Record<string, string | Uint8Array>,
  config: Record<string, unknown> = {},
): Promise<TestSite> {
  const dir = await tempDir('broadsheet-site-');
  const write = (files: Record<string, string | Uint8Array>) =>
    writeFiles(
      path.join(dir, 'articles'),
      files,
    );
  await write(articles);
  const parsed = configSchema.parse({
    ...config,
    paths: {
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      data: path.join(dir, 'data'),
      templates: path.join(ROOT, 'templates'),
    },
  });
  const engine = createEngine(await readTemplates(parsed.paths.templates));
  const parserKey = await parserCodeKey();
  return {
    dir,
    config: parsed,
    write,
    read: (rel) => readFile(path.join(dir, 'public', rel), 'utf8'),
    async build(now, paths = {}) {
      const clock = new Date(now);
      const store = await openStore({ sqlitePath: path.join(dir, 'data', 'broadsheet.db') }, () => clock);
      const config = { ...parsed, paths: { ...parsed.paths, ...paths } };
      try {
        return await build({ config, store, engine, now: clock, parserKey });
      } finally {
        await store.close();
      }
    },
  };
}

export async function samples(): Promise<Record<string, Uint8Array>> {
  const names = ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt'];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(path.join(ROOT, 'articles', n))])));
}
