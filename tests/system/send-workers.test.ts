// Several delivery workers share one edition through the PostgreSQL on this
// machine (127.0.0.1:5432, user postgres, database test; each test its own
// schema): `broadsheet send --worker` as real child processes, a real SMTP
// server on loopback.
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli, startCli } from '../helpers/cli.ts';
import { TEST_PG, cliWorkspace, dropSchemas, pgSchema } from '../helpers/send.ts';
import { type TestSmtp, closeChecked, startSmtp } from '../helpers/smtp.ts';

const NOW = '2026-11-25T07:00:00+08:00';
const EDITION = 'daily-20261125-0700';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  const s = smtp;
  smtp = undefined;
  await closeChecked(s);
});

afterAll(dropSchemas);

function byRecipient(s: TestSmtp): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of s.received) m.set(r.rcptTo[0]!, [...(m.get(r.rcptTo[0]!) ?? []), r.messageId]);
  return m;
}

async function waitFor(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A site on its own schema with `n` subscribers and one edition frozen (the SMTP server down), every delivery queued. */
async function frozenEdition(n: number, configYaml: string[] = [], rateLimit = 0) {
  const { url, app } = await pgSchema();
  const env = (smtpUrl: string) => ({ SMTP_URL: smtpUrl, BROADSHEET_SECRET: 'k'.repeat(64), DATABASE_URL: url });
  const w = await cliWorkspace({ subscribers: n, configYaml, rateLimit, env: env('smtp://127.0.0.1:1') });
  const frozen = await runCli(['send', '--now', NOW], { cwd: w.dir, env: env('smtp://127.0.0.1:1') });
  expect(frozen.code, frozen.stderr).toBe(69);
  expect(frozen.stdout).toContain(`INCOMPLETE: 0 sent, 0 failed, ${n} pending`);
  return { ...w, env, app };
}

/** "this worker sent N" from a worker's report. */
function sentBy(r: CliResult): number {
  const m = new RegExp(`^edition ${EDITION}: this worker sent (\\d+), failed 0;`, 'm').exec(r.stdout);
  if (!m) throw new Error(`no report in:\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

describe('delivery workers sharing an edition through PostgreSQL', { timeout: 300_000 }, () => {
  it('three workers deliver 5,000 subscribers: each exactly one message, every worker a share', async () => {
    smtp = await startSmtp({ delayMs: 2 });
    const { url, schema } = await pgSchema();
    const env = (smtpUrl: string) => ({ SMTP_URL: smtpUrl, BROADSHEET_SECRET: 'k'.repeat(64), DATABASE_URL: url });
    const w = await cliWorkspace({ subscribers: 5000, configYaml: ['send:', '  batchSize: 50'], env: env('smtp://127.0.0.1:1') });
    // The workers wait for work first, so that all three are there when the edition opens.
    const workers = [0, 1, 2].map(() => startCli(['send', '--worker'], { cwd: w.dir, env: env(smtp!.url) }));
    const admin = new pg.Client({ connectionString: TEST_PG });
    await admin.connect();
    try {
      let waiting = 0;
      const count = async () => (waiting = Number((await admin.query(`select count(*) as n from "${schema}".workers`)).rows[0].n));
      while ((await count()) < 3) await new Promise((r) => setTimeout(r, 200));
      expect(waiting).toBe(3);
    } finally {
      await admin.end();
    }
    // Frozen by a `send` whose own SMTP server is down: it delivers nothing, the workers everything.
    const frozen = await runCli(['send', '--now', NOW], { cwd: w.dir, env: env('smtp://127.0.0.1:1') });
    expect(frozen.code, frozen.stderr).toBe(69);
    await waitFor(() => smtp!.received.length >= 5000, '5,000 messages', 240_000);
    for (const x of workers) x.child.kill('SIGTERM');
    const results = await Promise.all(workers.map((x) => x.done));
    for (const r of results) expect(r.code, r.stderr).toBe(130);
    const shares = results.map(sentBy);
    expect(shares.every((n) => n > 0), `shares ${shares.join(', ')}`).toBe(true);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(5000);
    const got = byRecipient(smtp);
    expect(got.size).toBe(5000);
    expect([...got.values()].every((ids) => ids.length === 1)).toBe(true);
    const listed = JSON.parse((await runCli(['editions', '--json'], { cwd: w.dir, env: env(smtp.url) })).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: EDITION, status: 'sent', counts: { queued: 0, sending: 0, sent: 5000, failed: 0, skipped: 0 } })]);
  });

  it('takes back a SIGKILLed worker\'s claims once they run out: everyone gets the edition, duplicates only its messages in flight', async () => {
    smtp = await startSmtp({ delayMs: 10 });
    const w = await frozenEdition(1500, ['send:', '  batchSize: 50', '  claimSeconds: 5']);
    const workers = [0, 1, 2].map(() => startCli(['send', '--worker', '--exit-when-idle'], { cwd: w.dir, env: w.env(smtp!.url) }));
    await waitFor(() => smtp!.received.length >= 300, '300 messages');
    const progress = await runCli(['editions'], { cwd: w.dir, env: w.env(smtp.url) });
    expect(progress.stdout).toMatch(/\n {2}delivering: \d+ of 1500 done \(\d+%\), \d+ in flight; workers: .+:\d+ \(\d+ sent\)/);
    expect(progress.stderr).toMatch(/; 3 workers active/);
    workers[1]!.child.kill('SIGKILL');
    const results = await Promise.all(workers.map((x) => x.done));
    expect(results[1]!.signal).toBe('SIGKILL');
    for (const r of [results[0]!, results[2]!]) expect(r.code, r.stderr).toBe(0);
    const got = byRecipient(smtp);
    expect(got.size).toBe(1500);
    const duplicated = [...got.entries()].filter(([, ids]) => ids.length > 1);
    // At most the killed worker's connections were in flight; each copy the same message.
    expect(duplicated.length).toBeLessThanOrEqual(3);
    for (const [, ids] of duplicated) expect(new Set(ids).size).toBe(1);
    const listed = JSON.parse((await runCli(['editions', '--json'], { cwd: w.dir, env: w.env(smtp.url) })).stdout);
    expect(listed[0]).toMatchObject({ status: 'sent', counts: { sent: 1500, queued: 0, sending: 0 } });
  });

  it('sends none of the deliveries taken over while a worker was stopped past its claims', async () => {
    smtp = await startSmtp({ delayMs: 150 });
    const w = await frozenEdition(60, ['send:', '  batchSize: 60', '  claimSeconds: 5']);
    const stalled = startCli(['send', '--worker', '--exit-when-idle'], { cwd: w.dir, env: w.env(smtp.url) });
    await waitFor(() => smtp!.received.length >= 3, 'the first messages');
    // Stopped with the whole edition claimed, for longer than its claims last.
    stalled.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 6000));
    const other = startCli(['send', '--worker', '--exit-when-idle'], { cwd: w.dir, env: w.env(smtp.url) });
    // Let the other worker take over what it can (rows the stopped one had locked mid-claim wait for it).
    let seen = -1;
    let steadySince = Date.now();
    await waitFor(() => {
      if (smtp!.received.length !== seen) [seen, steadySince] = [smtp!.received.length, Date.now()];
      return seen >= 60 || Date.now() - steadySince > 3000;
    }, 'the other worker');
    stalled.child.kill('SIGCONT');
    const [late, done] = await Promise.all([stalled.done, other.done]);
    expect(late.code, late.stderr).toBe(0);
    expect(done.code, done.stderr).toBe(0);
    expect(sentBy(done)).toBeGreaterThan(0);
    const got = byRecipient(smtp);
    expect(got.size).toBe(60);
    // Only what the stopped worker had in flight (3 connections) can have gone twice, each copy the same message.
    const twice = [...got.values()].filter((ids) => ids.length > 1);
    expect(twice.length).toBeLessThanOrEqual(3);
    for (const ids of twice) expect(new Set(ids).size).toBe(1);
    const listed = JSON.parse((await runCli(['editions', '--json'], { cwd: w.dir, env: w.env(smtp.url) })).stdout);
    expect(listed[0]).toMatchObject({ status: 'sent', counts: { sent: 60, queued: 0, sending: 0 } });
  });

  it('keeps three workers under one rate limit between them: at most 55 messages/s over 20 s against a limit of 50', async () => {
    smtp = await startSmtp();
    const w = await frozenEdition(1400, ['send:', '  batchSize: 50'], 50);
    const workers = [0, 1, 2].map(() => startCli(['send', '--worker', '--exit-when-idle'], { cwd: w.dir, env: w.env(smtp!.url) }));
    const results = await Promise.all(workers.map((x) => x.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.map(sentBy).every((n) => n > 0)).toBe(true);
    expect(byRecipient(smtp).size).toBe(1400);
    // Every 20-second window, wherever it starts, holds at most 55/s worth.
    const times = smtp.received.map((r) => r.at).sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 20_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(20_000);
    expect(most).toBeLessThanOrEqual(55 * 20);
  });

  it('two `serve` processes on one database, both scheduling: each edition frozen once and sent once', async () => {
    smtp = await startSmtp();
    const { url } = await pgSchema();
    const env = { SMTP_URL: smtp.url, BROADSHEET_SECRET: 'k'.repeat(64), DATABASE_URL: url };
    // The daily digest every four seconds: each process's scheduler ticks several times in the test.
    const schedules = ['schedules:', '  daily:', '    name: 每日要闻', "    cron: '*/4 * * * * *'", '    periodHours: 24'];
    const w = await cliWorkspace({ subscribers: 200, configYaml: schedules, env });
    const serves = ['a', 'b'].map((name) => startCli(['serve', '--port', '0', '--no-watch', '--out', `public-${name}`], { cwd: w.dir, env }));
    try {
      const editions = async () => JSON.parse((await runCli(['editions', '--json'], { cwd: w.dir, env })).stdout) as Array<{ id: string; status: string }>;
      await waitFor(() => smtp!.received.length >= 200, '200 messages');
      // Several more ticks of both schedulers: nothing new, so no second edition and no second copy.
      await new Promise((r) => setTimeout(r, 12_000));
      const listed = await editions();
      expect(listed).toHaveLength(1);
      expect(listed[0]!.status).toBe('sent');
      const got = byRecipient(smtp);
      expect(got.size).toBe(200);
      expect([...got.values()].every((ids) => ids.length === 1)).toBe(true);
    } finally {
      for (const s of serves) s.child.kill('SIGTERM');
      const stopped = await Promise.all(serves.map((s) => s.done));
      for (const r of stopped) {
        expect(r.stderr).not.toMatch(/internal error/);
        // Both schedulers really ran the schedule, several times.
        expect((r.stderr.match(/send: daily \((cron|catch-up), due /g) ?? []).length).toBeGreaterThanOrEqual(2);
      }
    }
  });
});
