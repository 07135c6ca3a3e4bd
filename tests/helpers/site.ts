// A throwaway site for build tests: articles in a temp folder, the project's
// real templates, a real SQLite file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FolderParseCache, parserCodeKey, rendererCodeKey } from '../../src/corpus/cache.ts';
import { type Corpus, type PublishedArticle, type Threads, readCorpus } from '../../src/corpus/corpus.ts';
import { recordingHistory } from '../../src/corpus/history.ts';
import type { ThreadsAhead } from '../../src/corpus/workers.ts';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { PAGE_TASK, type PublishReport, publish } from '../../src/publish/publish.ts';
import { siteOf } from '../../src/site/site.ts';
import { openStore } from '../../src/store/open.ts';
import { createEngine, readTemplates } from '../../src/templates/engine.ts';
import { ROOT } from './cli.ts';
import { tempDir, writeFiles } from './tmp.ts';

/** What a build (the corpus stage, then publish) reports, as the build tests read it. */
export type BuildReport = Omit<Corpus, 'articles'> & PublishReport & { articles: number; published: PublishedArticle[] };

export interface TestSite {
  dir: string;
  config: Config;
  /** A build as `broadsheet build` does it (threads: as many worker threads as the machine has, from 1,000 jobs on). */
  build(now: string, paths?: { articles?: string; out?: string }, threads?: Threads, ahead?: ThreadsAhead): Promise<BuildReport>;
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
  const [parserKey, codeKey] = await Promise.all([parserCodeKey(), rendererCodeKey()]);
  return {
    dir,
    config: parsed,
    write,
    read: (rel) => readFile(path.join(dir, 'public', rel), 'utf8'),
    async build(now, paths = {}, threads, ahead) {
      const clock = new Date(now);
      const store = await openStore({ sqlitePath: path.join(dir, 'data', 'broadsheet.db') }, () => clock);
      const config = { ...parsed, paths: { ...parsed.paths, ...paths } };
      try {
        const cacheDir = path.join(config.paths.data, 'cache');
        const corpus = await readCorpus({
          articles: config.paths.articles,
          parse: { timeZone: config.site.timeZone, punctuation: config.parse.punctuation, maxSourceBytes: config.parse.maxSourceBytes },
          cache: new FolderParseCache(cacheDir),
          parserKey,
          history: recordingHistory(store.items),
          now: clock,
          ...(threads ? { threads } : {}),
          ...(ahead ? { ahead, warm: [PAGE_TASK] } : {}),
        });
        try {
          const report = await publish(corpus, { site: siteOf(config), engine, out: config.paths.out, cacheDir, codeKey });
          // As buildSite reports it: sources whose page could not be written are rejected too.
          return {
            ...corpus,
            ...report,
            diagnostics: [...corpus.diagnostics, ...report.diagnostics],
            rejected: [...corpus.rejected, ...report.rejected],
            articles: report.published.length,
          };
        } finally {
          await corpus.close();
        }
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
