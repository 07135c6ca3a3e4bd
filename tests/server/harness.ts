// A running service for HTTP tests: a temp site with the sample articles,
// the real templates, a real SQLite file, mail to a real SMTP server on
// loopback, listening on a free port. Log lines are kept for inspection.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { createTransport } from '../../src/mail/factory.ts';
import { type Service, startService } from '../../src/server/service.ts';
import { type Store, openStore } from '../../src/store/open.ts';
import { type TemplateEngine, createEngine, readTemplates } from '../../src/templates/engine.ts';
import type { Transport } from '../../src/mail/transport.ts';
import { ROOT } from '../helpers/cli.ts';
import { samples } from '../helpers/site.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

export const SECRET = 'w'.repeat(64);

export interface Harness {
  dir: string;
  config: Config;
  service: Service;
  store: Store;
  smtp: TestSmtp;
  engine: TemplateEngine;
  transport: Transport;
  logs: string[];
  url(p: string): string;
  close(): Promise<void>;
}

/** A port nothing listens on now, so baseUrl can name it before the service starts. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startHarness(options: { config?: Record<string, unknown>; schedule?: boolean; watch?: boolean; fetcher?: typeof fetch; smtp?: TestSmtp } = {}): Promise<Harness> {
  const dir = await tempDir('broadsheet-serve-');
  await writeFiles(path.join(dir, 'articles'), await samples());
  const port = await freePort();
  const smtp = options.smtp ?? (await startSmtp());
  const extra = options.config ?? {};
  const config = configSchema.parse({
    ...extra,
    site: { baseUrl: `http://127.0.0.1:${port}`, ...((extra.site as object) ?? {}) },
    server: { port, ...((extra.server as object) ?? {}) },
    paths: {
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      data: path.join(dir, 'data'),
      outbox: path.join(dir, 'outbox'),
      templates: path.join(ROOT, 'templates'),
    },
    mail: { from: { address: 'digest@news.example.com' }, smtp: { rateLimit: 0, timeoutSeconds: 5 }, ...((extra.mail as object) ?? {}) },
  });
  const logs: string[] = [];
  const log = pino({ level: 'debug', base: null }, { write: (line: string) => void logs.push(line) });
  const store = await openStore({ sqlitePath: path.join(dir, 'data', 'broadsheet.db') }, () => new Date());
  const engine = createEngine(await readTemplates(config.paths.templates));
  const transport = await createTransport(config, { smtpUrl: smtp.url });
  const edge = { clock: () => new Date(), random: (n: number) => randomBytes(n).toString('hex'), stderr: () => undefined };
  const service = await startService({
    config,
    edge,
    log,
    store,
    engine,
    transport,
    secret: SECRET,
    schedule: options.schedule ?? false,
    watch: options.watch ?? false,
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
  });
  return {
    dir,
    config,
    service,
    store,
    smtp,
    engine,
    transport,
    logs,
    url: (p) => `${service.url}${p}`,
    async close() {
      await service.stop();
      await transport.close();
      await store.close();
      if (!options.smtp) await smtp.close();
    },
  };
}

/** Waits until check() holds, polling; fails after ms with what was awaited. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
