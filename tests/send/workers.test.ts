// Delivery workers on one machine, sharing a SQLite file: `broadsheet send
// --worker` as child processes. (PostgreSQL across processes, a SIGKILLed
// or stopped worker and the shared rate limit: tests/system/send-workers.test.ts.
// A worker stopped on SQLite in the middle of a write transaction would hold
// the database's write lock, and the others would wait on it and stop as
// unavailable: SQLite is for one process at a time doing the sending.)
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli, startCli } from '../helpers/cli.ts';
import { cliWorkspace } from '../helpers/send.ts';
import { freePort, until } from '../server/harness.ts';
import { type TestSmtp, closeChecked, startSmtp } from '../helpers/smtp.ts';

const NOW = '2026-11-25T07:00:00+08:00';
const EDITION = 'daily-20261125-0700';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  const s = smtp;
  smtp = undefined;
  await closeChecked(s);
});

const env = (smtpUrl: string) => ({ SMTP_URL: smtpUrl, BROADSHEET_SECRET: 'k'.repeat(64) });

async function frozen(n: number, configYaml: string[]) {
  const w = await cliWorkspace({ subscribers: n, configYaml });
  const r = await runCli(['send', '--now', NOW], { cwd: w.dir, env: env('smtp://127.0.0.1:1') });
  expect(r.code, r.stderr).toBe(69);
  return w;
}

function sentBy(r: CliResult): number {
  return Number(new RegExp(`^edition ${EDITION}: this worker sent (\\d+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
}

describe('send --worker on one SQLite file', { timeout: 180_000 }, () => {
  it('lets two worker processes share an edition, each subscriber getting exactly one message', async () => {
    smtp = await startSmtp({ delayMs: 20 });
    const w = await frozen(60, ['send:', '  batchSize: 5']);
    const workers = [0, 1].map(() => startCli(['send', '--worker', '--exit-when-idle'], { cwd: w.dir, env: env(smtp!.url) }));
    const results = await Promise.all(workers.map((x) => x.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.map(sentBy).reduce((a, b) => a + b, 0)).toBe(60);
    expect(results[0]!.stdout).toContain('no open edition left; worker done (1 edition joined)');
    const to = smtp.received.map((m) => m.rcptTo[0]);
    expect(new Set(to).size).toBe(60);
    expect(to).toHaveLength(60);
  });

  it('serve with send.workers joins an edition another process froze, delivers it, and shows its share in /healthz', async () => {
    smtp = await startSmtp();
    const w = await frozen(30, ['send:', '  workers: true']);
    const port = await freePort();
    // No scheduler: this serve freezes nothing; only its worker can deliver the edition.
    const serve = startCli(['serve', '--port', String(port), '--no-watch', '--no-scheduler'], { cwd: w.dir, env: env(smtp.url) });
    try {
      await until('30 messages', () => smtp!.received.length >= 30, 60_000);
      type Health = { delivery: { editions: Array<{ id: string }>; workers: Array<{ editionId: string | null; sent: number }> } };
      const health = async () => (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
      // Once the edition is done it is no longer open, and the worker waits for the next one, with its share counted.
      await until('the worker idle with its share', async () => {
        const h = await health();
        return h.delivery.editions.length === 0 && h.delivery.workers.some((x) => x.editionId === null && x.sent === 30);
      }, 30_000);
      expect(new Set(smtp.received.map((m) => m.rcptTo[0])).size).toBe(30);
      expect(smtp.received).toHaveLength(30);
    } finally {
      serve.child.kill('SIGTERM');
    }
    const done = await serve.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`worker: edition ${EDITION}: sent 30, failed 0`);
    const listed = await runCli(['editions'], { cwd: w.dir, env: env(smtp.url) });
    expect(listed.stdout).toMatch(new RegExp(`${EDITION}.*sent`));
  });

  it('does not pace the file outbox by the SMTP rate limit, which belongs to the relay', async () => {
    // One message a second would keep 40 messages from finishing for 40 s; the outbox takes no bucket at all.
    const w = await cliWorkspace({ subscribers: 40, rateLimit: 1 });
    const r = await runCli(['send', '--now', NOW], { cwd: w.dir, env: { BROADSHEET_SECRET: 'k'.repeat(64) } });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(path.join(w.dir, 'outbox'))).filter((f) => f.endsWith('.eml'))).toHaveLength(40);
    const db = new SQLite(path.join(w.dir, 'data', 'broadsheet.db'), { readonly: true });
    try {
      expect(db.prepare('select count(*) as n from rate_limits').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
