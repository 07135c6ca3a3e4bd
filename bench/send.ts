// Delivery benchmark: an edition sent to N subscribers through a real SMTP
// server on loopback that accepts and discards. Run at two sizes: memory
// should not grow with the number of subscribers.
import { readFile, mkdir, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { buildSite, pageWriter } from '../src/app/wiring.ts';
import { configSchema } from '../src/config/schema.ts';
import { createTransport } from '../src/mail/factory.ts';
import { runSend } from '../src/send/run.ts';
import { openStore } from '../src/store/open.ts';
import { decideImport } from '../src/subscribers/lifecycle.ts';
import { createEngine, readTemplates } from '../src/templates/engine.ts';
import { type Bench, measure } from './measure.ts';

export async function benchSend(counts: number[]): Promise<Bench[]> {
  const root = path.resolve(import.meta.dirname, '..');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => cb(null, 'ok'));
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  const rows: Bench[] = [];
  try {
    for (const n of counts) {
      const dir = await mkdtemp(path.join(tmpdir(), 'broadsheet-bench-send-'));
      try {
        await mkdir(path.join(dir, 'articles'));
        for (const f of ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt']) await copyFile(path.join(root, 'articles', f), path.join(dir, 'articles', f));
        const config = configSchema.parse({
          paths: { articles: path.join(dir, 'articles'), out: path.join(dir, 'public'), data: path.join(dir, 'data'), templates: path.join(root, 'templates') },
          mail: { smtp: { maxConnections: 5, rateLimit: 0, timeoutSeconds: 30 } },
        });
        const engine = createEngine(await readTemplates(config.paths.templates));
        const store = await openStore({ sqlitePath: path.join(dir, 'data', 'b.db') }, () => new Date());
        const now = new Date().toISOString();
        for (let i = 0; i < n; i += 1000) {
          const emails = Array.from({ length: Math.min(1000, n - i) }, (_, j) => `reader${i + j}@example.com`);
          await store.subscribers.changeMany(emails, (c, j) =>
            decideImport(c, { email: emails[j]!, name: `读者${i + j}`, schedule: 'daily', origin: 'import', confirmed: true }, now, (i + j).toString(16).padStart(32, '0')),
          );
        }
        const transport = await createTransport(config, { smtpUrl: `smtp://127.0.0.1:${port}` });
        const at = new Date();
        const bench = await measure(`send: one edition to ${n} subscribers (SMTP on loopback, 5 connections)`, () =>
          runSend(
            {
              store,
              holder: 'bench',
              isDead: () => false,
              config,
              engine,
              transport,
              secret: 'b'.repeat(64),
              clock: () => new Date(),
              now: at,
              random: () => Math.random().toString(16).slice(2, 10),
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
              jitter: () => 0.5,
              corpus: async () => (await buildSite(config, store, engine, at)).corpus,
              writePage: pageWriter(config),
            },
            { schedule: 'daily' },
          ),
        (r) => {
          const res = r as Awaited<ReturnType<typeof runSend>>;
          return res.kind === 'delivered' ? `${res.report.counts.sent} sent` : res.kind;
        });
        bench.note = `${bench.note}; ${((n / bench.ms) * 1000).toFixed(0)} messages/s`;
        rows.push(bench);
        await transport.close();
        await store.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  return rows;
}
