// A site with subscribers, sending through a real SMTP server on loopback,
// with a real SQLite store: `send` run in-process.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { buildSite, pageWriter, readCorpusFor } from '../../src/app/wiring.ts';
import { createTransport } from '../../src/mail/factory.ts';
import { type SendRunResult, runSend } from '../../src/send/run.ts';
import { type Store, openStore } from '../../src/store/open.ts';
import { decideSubscribe } from '../../src/subscribers/lifecycle.ts';
import { createEngine, readTemplates } from '../../src/templates/engine.ts';
import { ROOT } from './cli.ts';
import { tempDir, writeFiles } from './tmp.ts';

export const SECRET = 's'.repeat(64);

export interface SendHarness {
  dir: string;
  config: Config;
  emails: string[];
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  send(now: string, options?: { smtpUrl?: string; dryRun?: boolean; signal?: AbortSignal }): Promise<SendRunResult>;
}

export async function sendHarness(opts: { subscribers: number; smtpUrl: string; config?: Record<string, unknown> }): Promise<SendHarness> {
  const dir = await tempDir('broadsheet-send-');
  const articles = Object.fromEntries(
    await Promise.all(['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt'].map(async (f) => [f, await readFile(path.join(ROOT, 'articles', f))])),
  );
  await writeFiles(path.join(dir, 'articles'), articles);
  const config = configSchema.parse({
    ...opts.config,
    site: { baseUrl: 'https://news.example.com' },
    paths: {
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      data: path.join(dir, 'data'),
      outbox: path.join(dir, 'outbox'),
      templates: path.join(ROOT, 'templates'),
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
  const emails = Array.from({ length: opts.subscribers }, (_, i) => `reader${String(i).padStart(3, '0')}@example.com`);
  await withStore(async (store) => {
    for (const [i, email] of emails.entries()) {
      await store.subscribers.change({ email }, (c) =>
        decideSubscribe(c, { email, name: i % 2 ? `读者${i}` : null, schedule: 'daily', origin: 'cli', confirmed: true }, new Date().toISOString(), i.toString(16).padStart(32, '0')),
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
        const transport = o.dryRun ? null : await createTransport(config, { smtpUrl: o.smtpUrl ?? opts.smtpUrl });
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
              sleep: (ms, signal) => new Promise((r) => { const t = setTimeout(r, ms); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }); }),
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
