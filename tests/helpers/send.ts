// A site with subscribers, sending through a real SMTP server on loopback,
// with a real SQLite store: `send` run in-process.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { buildSite, pageWriter, readCorpusFor } from '../../src/app/wiring.ts';
import { createTransport } from '../../src/mail/factory.ts';
import { sleep } from '../../src/cli/interrupt.ts';
import { type SendRunResult, runSend } from '../../src/send/run.ts';
import { type Store, openStore } from '../../src/store/open.ts';
import { decideSubscribe } from '../../src/subscribers/lifecycle.ts';
import { createEngine, readTemplates } from '../../src/templates/engine.ts';
import pg from 'pg';
import { ROOT, runCli } from './cli.ts';
import { samples } from './site.ts';
import { tempDir, writeFiles } from './tmp.ts';

export const SECRET = 's'.repeat(64);

export interface SendHarness {
  dir: string;
  config: Config;
  emails: string[];
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  send(now: string, options?: { smtpUrl?: string | null; dryRun?: boolean; signal?: AbortSignal }): Promise<SendRunResult>;
}

/**
 * smtpUrl null: the file outbox. `people` replaces the numbered readers
 * (reader000@example.com …) with these; `articles` the two sample sources.
 */
export async function sendHarness(opts: {
  subscribers: number;
  smtpUrl: string | null;
  config?: Record<string, unknown>;
  people?: Array<{ email: string; name: string | null }>;
  articles?: Record<string, string>;
}): Promise<SendHarness> {
  const dir = await tempDir('broadsheet-send-');
  await writeFiles(path.join(dir, 'articles'), opts.articles ?? (await samples()));
  const config = configSchema.parse({
    ...opts.config,
    site: { baseUrl: 'https://news.example.com' },
    paths: {
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      data: path.join(dir, 'data'),
      outbox: path.join(dir, 'outbox'),
      templates: path.join(ROOT, 'templates'),
      ...((opts.config?.paths as object) ?? {}),
    },
    mail: {
      from: { address: 'digest@news.example.com' },
      retry: { attempts: 3, baseDelaySeconds: 0.05, maxDelaySeconds: 0.2 },
      smtp: { maxConnections: 3, rateLimit: 0, timeoutSeconds: 5 },
      ...((opts.config?.mail as object) ?? {}),
    },
  });
  const engine = createEngine(await readTemplates(config.paths.templates));
  const sqlitePath = path.join(dir, 'data', 'broadsheet.db');
  let counter = 0;
  const random = () => (++counter).toString(16).padStart(16, '0');
  const withStore = async <T>(fn: (store: Store) => Promise<T>) => {
    const store = await openStore({ sqlitePath }, () => new Date());
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const people = opts.people ?? Array.from({ length: opts.subscribers }, (_, i) => ({ email: `reader${String(i).padStart(3, '0')}@example.com`, name: i % 2 ? `读者${i}` : null }));
  const emails = people.map((p) => p.email);
  await withStore(async (store) => {
    for (const [i, { email, name }] of people.entries()) {
      await store.subscribers.change({ email }, (c) =>
        decideSubscribe(c, { email, name, schedule: 'daily', origin: 'cli', confirmed: true }, new Date().toISOString(), i.toString(16).padStart(32, '0')),
      );
    }
  });
  return {
    dir,
    config,
    emails,
    withStore,
    send: (now, o = {}) =>
      withStore(async (store) => {
        const transport = o.dryRun ? null : await createTransport(config, { smtpUrl: o.smtpUrl === undefined ? opts.smtpUrl : o.smtpUrl });
        try {
          const at = new Date(now);
          return await runSend(
            {
              store,
              holder: `test:${random()}`,
              isDead: () => false,
              config,
              engine,
              transport,
              secret: SECRET,
              clock: () => new Date(),
              now: at,
              random,
              sleep,
              jitter: () => 0.5,
              ...(o.signal ? { signal: o.signal } : {}),
              corpus: o.dryRun
                ? () => readCorpusFor(config, store, 'look', at)
                : async () => (await buildSite(config, store, engine, at)).corpus,
              writePage: pageWriter(config),
            },
            { schedule: 'daily', dryRun: o.dryRun ?? false },
          );
        } finally {
          await transport?.close();
        }
      }),
  };
}

// ── For tests that run `broadsheet send` as child processes ────────────────

export interface SiteFolderOptions {
  subscribers: number;
  /** Lines added to broadsheet.config.yaml (indented as they belong). */
  configYaml?: string[];
  /** mail.smtp.rateLimit (default 0: none). */
  rateLimit?: number;
}

/**
 * A site folder with a config, the sample articles and `list.csv` of
 * `subscribers` readers (reader000@example.com …, three digits or as many as
 * the count needs), not yet imported.
 */
export async function siteFolder(opts: SiteFolderOptions): Promise<{ dir: string; emails: string[] }> {
  const dir = await tempDir('broadsheet-send-cli-');
  await writeFiles(path.join(dir, 'articles'), await samples());
  await writeFile(
    path.join(dir, 'broadsheet.config.yaml'),
    [
      'site:',
      '  baseUrl: https://news.example.com',
      'paths:',
      `  templates: ${path.join(ROOT, 'templates')}`,
      'mail:',
      '  from:',
      '    address: digest@news.example.com',
      '  smtp:',
      '    maxConnections: 3',
      `    rateLimit: ${opts.rateLimit ?? 0}`,
      '    timeoutSeconds: 10',
      '  retry:',
      '    attempts: 3',
      '    baseDelaySeconds: 0.05',
      '    maxDelaySeconds: 0.2',
      ...(opts.configYaml ?? []),
      '',
    ].join('\n'),
  );
  const digits = Math.max(3, String(opts.subscribers - 1).length);
  const emails = Array.from({ length: opts.subscribers }, (_, i) => `reader${String(i).padStart(digits, '0')}@example.com`);
  await writeFile(path.join(dir, 'list.csv'), ['email,name', ...emails.map((e, i) => `${e},读者${i}`)].join('\n'));
  return { dir, emails };
}

/** siteFolder, with its readers imported (as active) through the CLI with `env`. */
export async function cliWorkspace(opts: SiteFolderOptions & { env?: Record<string, string> }) {
  const w = await siteFolder(opts);
  const imported = await runCli(['subscribers', 'import', 'list.csv', '--confirmed'], { cwd: w.dir, env: opts.env ?? {} });
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  return w;
}

/** The result of a run that delivered (resumed or new); anything else fails the test. */
export function delivered(r: SendRunResult) {
  if (r.kind !== 'delivered') throw new Error(`expected a delivery, got ${r.kind}`);
  return r;
}

export const TEST_PG = process.env.BROADSHEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh PostgreSQL schema for a test, and a DATABASE_URL that uses it
 * under an application_name of its own (so a test kills only its own
 * connections). Drop the schemas with dropSchemas() after the file.
 */
export async function pgSchema(): Promise<{ schema: string; url: string; app: string }> {
  const schema = `bs_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  made.push(schema);
  const app = `bs-${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_PG);
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', app);
  return { schema, url: url.toString(), app };
}

const made: string[] = [];

export async function dropSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  try {
    for (const s of made.splice(0)) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
}
