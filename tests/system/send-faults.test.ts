// Delivery when the store or the disk fails mid-send, with real parts: the
// PostgreSQL on this machine (connections killed with pg_terminate_backend),
// and small tmpfs file systems mounted in a private mount namespace
// (`unshare --user --map-root-user --mount`, util-linux) that fill up for
// real: SQLite gets SQLITE_FULL, the outbox ENOSPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli, startCli } from '../helpers/cli.ts';
import { type TestSmtp, closeChecked, startSmtp } from '../helpers/smtp.ts';
import { TEST_PG, cliWorkspace, dropSchemas, pgSchema, siteFolder } from '../helpers/send.ts';

const NOW = '2026-11-25T07:00:00+08:00';
const EDITION = 'daily-20261125-0700';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  const s = smtp;
  smtp = undefined;
  await closeChecked(s);
});

afterAll(dropSchemas);

/** The site and its list of readers, not imported yet (each test imports into its own store). */
const workspace = (subscribers: number) => siteFolder({ subscribers });

function byRecipient(s: TestSmtp): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of s.received) m.set(r.rcptTo[0]!, [...(m.get(r.rcptTo[0]!) ?? []), r.messageId]);
  return m;
}

/** Everyone got the edition; the only duplicates are copies of one message (same Message-ID), at most `inFlight` of them. */
function expectEveryoneOnce(s: TestSmtp, emails: string[], inFlight: number): void {
  const got = byRecipient(s);
  expect([...got.keys()].sort()).toEqual(emails);
  const duplicated = [...got.entries()].filter(([, ids]) => ids.length > 1);
  expect(duplicated.length).toBeLessThanOrEqual(inFlight);
  for (const [, ids] of duplicated) expect(ids.every((id) => id === ids[0])).toBe(true);
}

async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PostgreSQL connections killed mid-send', { timeout: 180_000 }, () => {
  async function pgWorkspace(subscribers: number) {
    // A name of its own in pg_stat_activity: only this test's connections are killed,
    // never those of anything else using the database.
    const { schema, url, app } = await pgSchema();
    const env = (smtpUrl: string) => ({ SMTP_URL: smtpUrl, BROADSHEET_SECRET: 'k'.repeat(64), DATABASE_URL: url });
    const w = await cliWorkspace({ subscribers, env: env('smtp://127.0.0.1:1') });
    const admin = new pg.Client({ connectionString: TEST_PG });
    await admin.connect();
    const kill = async () => (await admin.query('select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1', [app])).rowCount ?? 0;
    return { ...w, schema, admin, env, kill };
  }

  it('retries on a fresh connection and finishes the edition', async () => {
    smtp = await startSmtp({ delayMs: 30 });
    const w = await pgWorkspace(60);
    try {
      const run = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
      await waitFor(() => smtp!.received.length >= 15, '15 messages');
      // Every connection the send holds, busy or idle, ended by the server.
      expect(await w.kill()).toBeGreaterThan(0);
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stdout).toContain('sent: 60 sent, 0 failed, 0 pending');
      expectEveryoneOnce(smtp, w.emails, 3);
    } finally {
      await w.admin.end();
    }
  });

  it('stops with exit 69 and one line when the connection keeps dying, and the next run finishes cleanly', async () => {
    smtp = await startSmtp({ delayMs: 30 });
    const w = await pgWorkspace(60);
    const locker = new pg.Client({ connectionString: TEST_PG });
    await locker.connect();
    let killer: NodeJS.Timeout | undefined;
    try {
      const run = startCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
      await waitFor(() => smtp!.received.length >= 15, '15 messages');
      // Every statement on the deliveries now waits for this lock, and every
      // connection waiting is killed: each try the send makes fails.
      await locker.query('begin');
      await locker.query(`lock table "${w.schema}".deliveries in access exclusive mode`);
      killer = setInterval(() => void w.kill().catch(() => undefined), 200);
      const r = await run.done;
      clearInterval(killer);
      await locker.query('rollback');
      expect(r.code, r.stderr).toBe(69);
      // Besides the build's diagnostics, the mail line and the progress log: one line saying what failed and where.
      const lines = r.stderr.trim().split('\n').filter((l) => !/^(\{|mail:|build:|articles\/)/.test(l));
      expect(lines).toEqual([
        expect.stringMatching(/^PostgreSQL 127\.0\.0\.1:5432\/test: error: (recording|claiming|renewing|counting|reading) [a-z ]+: lost the connection 5 times: .*(terminat|Connection).*; stopped sending/),
      ]);
      const sentBefore = smtp.received.length;

      const again = await runCli(['send', '--now', NOW], { cwd: w.dir, env: w.env(smtp.url) });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`resumed edition ${EDITION}`);
      expect(again.stdout).toContain('sent: 60 sent, 0 failed, 0 pending');
      // Duplicates only among the messages that were in flight when the store gave out.
      expectEveryoneOnce(smtp, w.emails, 3);
      expect(smtp.received.length).toBeLessThanOrEqual(60 + 3);
      expect(sentBefore).toBeLessThan(60);
    } finally {
      clearInterval(killer);
      await locker.end();
      await w.admin.end();
    }
  });
});

/**
 * A shell in a private user and mount namespace, where a tmpfs of a few
 * hundred KB can be mounted without touching the machine's mounts. Commands
 * run one at a time; the test looks at the SMTP server between them.
 */
class Namespace {
  private said = '';
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.said += d));
  }

  static async start(dir: string, env: Record<string, string>): Promise<Namespace> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
    for (const key of Object.keys(childEnv)) if ((key.startsWith('BROADSHEET_') && !(key in env)) || key === 'DATABASE_URL' || key === 'SMTP_URL') delete childEnv[key];
    const child = spawn('unshare', ['--user', '--map-root-user', '--mount', 'sh'], { cwd: dir, env: childEnv, stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`cannot run unshare (${(err as NodeJS.ErrnoException).code}): install util-linux`)));
    });
    return new Namespace(child, dir);
  }

  /** Runs a shell command; its stdout and stderr come back whole. */
  async sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const marker = `__done_${randomBytes(4).toString('hex')}`;
    const out = path.join(this.dir, `${marker}.out`);
    const err = path.join(this.dir, `${marker}.err`);
    this.child.stdin!.write(`( ${command} ) >${out} 2>${err} </dev/null; echo "${marker} $?"\n`);
    await waitFor(() => this.said.includes(`${marker} `) && this.said.includes('\n', this.said.indexOf(marker)), `the command: ${command}`, 120_000);
    const code = Number(new RegExp(`${marker} (\\d+)`).exec(this.said)![1]);
    return { code, stdout: await readFile(out, 'utf8'), stderr: await readFile(err, 'utf8') };
  }

  /** A broadsheet command. */
  cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const vars = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ');
    return this.sh(`${vars} '${process.execPath}' '${BIN}' ${args.map((a) => `'${a}'`).join(' ')}`);
  }

  /** Fills the file system at `dir` until `leaveBytes` are free. */
  async fill(dir: string, leaveBytes: number): Promise<void> {
    const r = await this.sh(`avail=$(df --output=avail -B1 '${dir}' | tail -1); fallocate -l $((avail - ${leaveBytes})) '${dir}/filler'`);
    expect(r.code, r.stderr).toBe(0);
  }

  async close(): Promise<void> {
    this.child.stdin!.end('exit\n');
    await new Promise((r) => this.child.once('close', r));
  }
}

describe('a disk that fills up mid-send', { timeout: 240_000 }, () => {
  it('SQLite: stops handing messages over at once, exit 69 with one line, and the next run finishes', async () => {
    smtp = await startSmtp({ delayMs: 20 });
    const w = await workspace(200);
    const data = path.join(w.dir, 'data');
    await mkdir(data);
    const ns = await Namespace.start(w.dir, { BROADSHEET_SECRET: 'k'.repeat(64), BROADSHEET_OUT: path.join(w.dir, 'public') });
    try {
      expect((await ns.sh(`mount -t tmpfs -o size=16m tmpfs '${data}'`)).code).toBe(0);
      expect((await ns.cli(['subscribers', 'import', 'list.csv', '--confirmed'])).code).toBe(0);
      // Freeze the edition with the server down: every delivery is queued.
      const frozen = await ns.cli(['send', '--now', NOW], { SMTP_URL: 'smtp://127.0.0.1:1' });
      expect(frozen.code, frozen.stderr).toBe(69);
      expect(frozen.stdout).toContain('INCOMPLETE: 0 sent, 0 failed, 200 pending');

      // Room for opening the database, claiming the batch and some recorded answers, not for 200.
      await ns.fill(data, 512 * 1024);
      const full = await ns.cli(['send', '--now', NOW], { SMTP_URL: smtp.url });
      expect(full.code, full.stderr).toBe(69);
      const lines = full.stderr.trim().split('\n').filter((l) => !l.startsWith('{') && !l.startsWith('mail:'));
      expect(lines).toEqual([expect.stringMatching(/^data\/broadsheet\.db: error: [a-z ]+: the database cannot do its part: database or disk is full \(SQLITE_FULL\); stopped sending/)]);
      const delivered = smtp.received.length;
      expect(delivered).toBeGreaterThan(0);
      expect(delivered).toBeLessThan(200);

      expect((await ns.sh(`rm '${data}/filler'`)).code).toBe(0);
      const listed = await ns.cli(['editions', EDITION, '--json']);
      const recorded = (JSON.parse(listed.stdout) as { counts: { sent: number } }).counts.sent;
      // What the server accepted but the store could not record: only what was in flight (3 connections).
      expect(delivered - recorded).toBeLessThanOrEqual(3);

      const rest = await ns.cli(['send', '--now', NOW], { SMTP_URL: smtp.url });
      expect(rest.code, rest.stderr + rest.stdout).toBe(0);
      expect(rest.stdout).toContain('sent: 200 sent, 0 failed, 0 pending');
      expectEveryoneOnce(smtp, w.emails, 3);
    } finally {
      await ns.close();
    }
  });

  it('the outbox: stops as unavailable on ENOSPC, fails no delivery, leaves no temporary files', async () => {
    const w = await workspace(20);
    const outbox = path.join(w.dir, 'outbox');
    await mkdir(outbox);
    const ns = await Namespace.start(w.dir, { BROADSHEET_SECRET: 'k'.repeat(64), BROADSHEET_OUTBOX: outbox });
    try {
      expect((await ns.sh(`mount -t tmpfs -o size=1m tmpfs '${outbox}'`)).code).toBe(0);
      expect((await ns.cli(['subscribers', 'import', 'list.csv', '--confirmed'])).code).toBe(0);
      // Room for a few messages of some 45 KB each.
      await ns.fill(outbox, 300 * 1024);
      const full = await ns.cli(['send', '--now', NOW]);
      expect(full.code, full.stderr).toBe(69);
      expect(full.stderr).toMatch(new RegExp(`error: mail: cannot write to the outbox ${outbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/ \\(ENOSPC: no space left on device`));
      const [, sent, failed, pending] = /INCOMPLETE: (\d+) sent, (\d+) failed, (\d+) pending/.exec(full.stdout)!.map(Number);
      expect(sent).toBeLessThan(20);
      expect([failed, sent! + pending!]).toEqual([0, 20]);
      // The tmpfs is visible only inside the namespace.
      expect((await ns.sh(`ls '${outbox}'`)).stdout.split('\n').filter((f) => f.endsWith('.tmp'))).toEqual([]);

      expect((await ns.sh(`rm '${outbox}/filler'`)).code).toBe(0);
      const rest = await ns.cli(['send', '--now', NOW]);
      expect(rest.code, rest.stderr).toBe(0);
      expect(rest.stdout).toContain('sent: 20 sent, 0 failed, 0 pending');
      const files = (await ns.sh(`ls '${outbox}'`)).stdout.trim().split('\n');
      expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(20);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await ns.close();
    }
  });
});
