// One edition to N subscribers as whole commands, against the baseline a user
// would write (nodemailer's pool, one sendMail per recipient, the same
// rendered digest: plain_nodemailer.mjs), both into the same counting SMTP
// sink on loopback. Every run must raise the sink's count by exactly N, else
// it is reported as failed and left out of the medians. Also: the sink's own
// ceiling (tiny messages from a trivial pooled client), and `send` when the
// edition is already out and nothing is new (the cron's usual case).
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CLI_ROOT, ROOT, type Row, type Run, SHARED, broadsheet, copyDir, expectExit, freshDir, isolatedEnv, remove, row, say, side, tail, timed,
} from './lib.ts';

const SINK = readFileSync(path.join(SHARED, 'sink.mjs'), 'utf8');
const BASELINE = readFileSync(path.join(SHARED, 'plain_nodemailer.mjs'), 'utf8');
const BASELINE_DKIM = readFileSync(path.join(import.meta.dirname, 'plain_nodemailer_dkim.mjs'), 'utf8');
// The sink's ceiling: the cheapest client that speaks to it the same way (pool of 5, 100 messages a connection).
const TRIVIAL = `
import nodemailer from 'nodemailer';
const [port, n] = process.argv.slice(1).filter((a) => a !== '--');
const t = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 100 });
let next = 0;
async function lane() { while (next < Number(n)) { const i = next++; await t.sendMail({ from: 'a@example.com', to: 'r' + i + '@example.com', subject: 'x', text: 'x' }); } }
await Promise.all(Array.from({ length: 5 }, lane));
t.close();`;
// The same client sending the digest's own bytes (the preview's digest.eml, as raw): what any sender
// of these messages through nodemailer's pool costs the sink, with no composing and no ledger at all.
const RAW_FLOOR = `
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
const [port, n, eml] = process.argv.slice(1).filter((a) => a !== '--');
const raw = readFileSync(eml);
const t = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 100 });
let next = 0;
async function lane() { while (next < Number(n)) { const i = next++; await t.sendMail({ envelope: { from: 'digest@news.example.com', to: ['reader' + i + '@example.com'] }, raw }); } }
await Promise.all(Array.from({ length: 5 }, lane));
t.close();`;

function config(dkimKey?: string): string {
  return [
    'site:',
    '  baseUrl: https://news.example.com',
    'mail:',
    '  from:',
    '    address: digest@news.example.com',
    '  smtp:',
    '    rateLimit: 0',
    '    maxConnections: 5',
    ...(dkimKey ? ['  dkim:', '    domain: news.example.com', '    selector: bench', `    privateKeyFile: ${dkimKey}`] : []),
    '',
  ].join('\n');
}

/** A data folder with `n` active daily subscribers, the articles, the configs and the digest preview. */
function prepare(dir: string, n: number): void {
  copyDir(path.join(ROOT, 'articles'), path.join(dir, 'articles'));
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(path.join(dir, 'dkim.pem'), key, { mode: 0o600 });
  writeFileSync(path.join(dir, 'plain.yaml'), config());
  writeFileSync(path.join(dir, 'dkim.yaml'), config(path.join(dir, 'dkim.pem')));
  const rows = ['email,name,schedule'];
  for (let i = 0; i < n; i++) rows.push(`reader${i}@example.com,读者${i},daily`);
  writeFileSync(path.join(dir, 'subscribers.csv'), `${rows.join('\n')}\n`);
  const env = isolatedEnv(dir, { BROADSHEET_ARTICLES: path.join(dir, 'articles'), BROADSHEET_CONFIG: path.join(dir, 'plain.yaml') });
  expectExit(timed(broadsheet('subscribers', 'import', path.join(dir, 'subscribers.csv'), '--confirmed'), { cwd: dir, env }), 'broadsheet subscribers import');
  const digest = expectExit(timed(broadsheet('digest', '--out', path.join(dir, 'preview')), { cwd: dir, env }), 'broadsheet digest');
  say(`send: preview: ${digest.stdout.trim().replaceAll('\n', ' | ')}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

class Sink {
  private constructor(readonly port: number, private readonly countFile: string, private readonly child: ChildProcess) {}

  static async start(dir: string): Promise<Sink> {
    const port = await freePort();
    const countFile = path.join(dir, 'sink-count');
    // cwd: the project, so the script resolves smtp-server from its node_modules.
    const child = spawn(process.execPath, ['--input-type=module', '-e', SINK, String(port), countFile], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const sink = new Sink(port, countFile, child);
    for (let i = 0; i < 100 && !existsSync(countFile); i++) await sleep(100);
    if (!existsSync(countFile)) throw new Error('the SMTP sink did not start');
    return sink;
  }

  /** The sink rewrites its count file in place: a read can catch it empty, so read until it is whole. */
  count(): number {
    for (;;) {
      const m = /^(\d+) \d+\n$/.exec(readFileSync(this.countFile, 'utf8'));
      if (m) return Number(m[1]);
    }
  }

  /** The count once it reaches `expected` (it is written every 200 ms), or whatever it is after 2 s. */
  async settle(expected: number): Promise<number> {
    for (let i = 0; i < 20 && this.count() < expected; i++) await sleep(100);
    await sleep(250);
    return this.count();
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `go` and keeps the run only when the sink received exactly `n` more messages. */
async function delivered(sink: Sink, n: number, what: string, go: () => Run, ok: Run[], failed: string[]): Promise<Run> {
  const before = await sink.settle(0);
  const run = go();
  const got = (await sink.settle(before + n)) - before;
  if (run.code === 0 && got === n) ok.push(run);
  else {
    failed.push(`${what}: exit ${run.code}, sink +${got} of ${n}`);
    say(`send: FAILED ${what}: exit ${run.code}, sink +${got} of ${n}\n${tail(run.stderr)}`);
  }
  return run;
}

/** `0.40×`: broadsheet's messages per second over the baseline's (above 1, broadsheet delivers faster). */
function throughput(bs: Run[], peer: Run[]): string {
  if (!bs.length || !peer.length) return '';
  const med = (runs: Run[]) => [...runs.map((r) => r.ms)].sort((a, b) => a - b)[runs.length >> 1]!;
  return `${(med(peer) / med(bs)).toFixed(2)}× the baseline's messages/s; `;
}

export async function benchSend(n = 10_000, runs = 3, withDkim = false): Promise<Row[]> {
  const dir = freshDir('send');
  const rows: Row[] = [];
  let sink: Sink | undefined;
  const { distIsCurrent } = (await import(pathToFileURL(path.join(CLI_ROOT, 'bin', 'freshness.js')).href)) as { distIsCurrent: () => boolean };
  if (!distIsCurrent()) say('send: WARNING: dist/ is not built from the current sources, so broadsheet runs through tsx (slower start-up); run `npm run build` first');
  try {
    say(`send: preparing ${n} subscribers in ${dir}`);
    prepare(dir, n);
    sink = await Sink.start(dir);
    const smtp = `smtp://127.0.0.1:${sink.port}`;
    const ceiling: Run[] = [], ceilingFailed: string[] = [];
    const rawFloor: Run[] = [];

    for (const dkim of withDkim ? [false, true] : [false]) {
      const bs: Run[] = [], plain: Run[] = [], idle: Run[] = [], failed: string[] = [];
      const label = dkim ? ', DKIM' : '';
      for (let i = 0; i < runs; i++) {
        say(`send: round ${i + 1} of ${runs}${label}`);
        const runDir = freshDir('send-run');
        try {
          copyDir(path.join(dir, 'data'), path.join(runDir, 'data'));
          const env = isolatedEnv(runDir, {
            BROADSHEET_ARTICLES: path.join(dir, 'articles'),
            BROADSHEET_CONFIG: path.join(dir, dkim ? 'dkim.yaml' : 'plain.yaml'),
            SMTP_URL: smtp,
          });
          const send = () => timed(broadsheet('send', '--schedule', 'daily'), { cwd: runDir, env });
          const baseline = () =>
            timed(
              [process.execPath, '--input-type=module', '-e', dkim ? BASELINE_DKIM : BASELINE, String(sink!.port), String(n), path.join(dir, 'preview'),
                ...(dkim ? [path.join(dir, 'dkim.pem')] : [])],
            );
          const pair = [
            () => delivered(sink!, n, `broadsheet send${label}`, send, bs, failed),
            () => delivered(sink!, n, `plain nodemailer${label}`, baseline, plain, failed),
          ];
          for (const go of i % 2 === 0 ? pair : pair.reverse()) await go();
          // Same data folder: the edition is out, nothing is new.
          const before = sink.count();
          const again = expectExit(send(), 'broadsheet send (nothing new)');
          if ((await sink.settle(before)) !== before) failed.push('send (nothing new) sent mail');
          idle.push(again);
          if (i === 0) say(`send: nothing new says: ${tail(again.stdout, 2).replaceAll('\n', ' | ')}`);
          if (!dkim) await delivered(sink, n, 'sink ceiling', () => timed([process.execPath, '--input-type=module', '-e', TRIVIAL, String(sink!.port), String(n)]), ceiling, ceilingFailed);
          if (!dkim) {
            const eml = path.join(dir, 'preview', 'digest.eml');
            await delivered(sink, n, 'raw floor', () => timed([process.execPath, '--input-type=module', '-e', RAW_FLOOR, String(sink!.port), String(n), eml]), rawFloor, ceilingFailed);
          }
        } finally {
          remove(runDir);
        }
      }
      const note = (failed.length ? `FAILED runs: ${failed.join('; ')}` : `${throughput(bs, plain)}${runs} run${runs === 1 ? '' : 's'}, each +${n} at the sink`);
      rows.push(row(`send ${n.toLocaleString('en')} subscribers${label}: whole command`, side('broadsheet send', bs, n), side('plain nodemailer', plain, n), note));
      rows.push(row(`send${label}: edition already out, nothing new`, side('broadsheet send', idle)));
    }
    if (ceiling.length) {
      rows.push(row(`SMTP sink ceiling: ${n.toLocaleString('en')} tiny messages, pooled nodemailer, 5 connections`, undefined, side('trivial client', ceiling, n),
        ceilingFailed.length ? `FAILED: ${ceilingFailed.join('; ')}` : 'the most the sink accepts; a sender near this is sink-bound'));
    }
    if (rawFloor.length) {
      rows.push(row(`SMTP floor for these messages: ${n.toLocaleString('en')} copies of the digest's bytes, pooled nodemailer raw, 5 connections`, undefined, side('raw client', rawFloor, n),
        'no composing, no store: the most any sender of these bytes through nodemailer reaches on this machine'));
    }
  } finally {
    sink?.stop();
    remove(dir);
  }
  return rows;
}

// ── Scaling out: 1, 2 and 4 `send --worker` processes sharing one edition through PostgreSQL ──

const PG = process.env.BROADSHEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs a command to its end without blocking the harness (several run at once). */
function runAsync(cmd: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * One edition of `n` subscribers delivered by 1, 2 and 4 workers on this
 * machine to the sink, PostgreSQL in between: deliveries per second, and
 * what the store cost per delivery (the workers' own count of statements
 * and their time). The same deliveries are put back in the queue before
 * each round, so every round sends the same edition.
 */
export async function benchWorkers(n = 10_000, counts = [1, 2, 4]): Promise<Row[]> {
  const { default: pg } = await import('pg');
  const dir = freshDir('workers');
  const schema = `bs_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  let sink: Sink | undefined;
  const rows: Row[] = [];
  try {
    await admin.query(`create schema "${schema}"`);
    const url = new URL(PG);
    url.searchParams.set('options', `-c search_path=${schema}`);
    copyDir(path.join(ROOT, 'articles'), path.join(dir, 'articles'));
    writeFileSync(path.join(dir, 'plain.yaml'), config());
    writeFileSync(path.join(dir, 'subscribers.csv'), `${['email,name,schedule', ...Array.from({ length: n }, (_, i) => `reader${i}@example.com,读者${i},daily`)].join('\n')}\n`);
    const env = isolatedEnv(dir, { BROADSHEET_ARTICLES: path.join(dir, 'articles'), BROADSHEET_CONFIG: path.join(dir, 'plain.yaml'), DATABASE_URL: url.toString() });
    say(`workers: preparing ${n} subscribers in PostgreSQL schema ${schema}`);
    expectExit(timed(broadsheet('subscribers', 'import', path.join(dir, 'subscribers.csv'), '--confirmed'), { cwd: dir, env }), 'broadsheet subscribers import');
    // Frozen with the server down: every delivery queued.
    expectExit(timed(broadsheet('send', '--schedule', 'daily'), { cwd: dir, env: { ...env, SMTP_URL: 'smtp://127.0.0.1:1' } }), 'broadsheet send (freeze)', [69]);
    sink = await Sink.start(dir);
    for (const k of counts) {
      await admin.query(
        `update "${schema}".deliveries set state = 'queued', claimed_by = null, claimed_until = null, attempts = 0, sent_at = null, last_response = null, next_attempt_at = null`,
      );
      say(`workers: ${k} worker${k === 1 ? '' : 's'}`);
      const before = await sink.settle(0);
      const started = process.hrtime.bigint();
      const runs = await Promise.all(
        Array.from({ length: k }, () => runAsync(broadsheet('send', '--worker', '--exit-when-idle'), { cwd: dir, env: { ...env, SMTP_URL: `smtp://127.0.0.1:${sink!.port}` } })),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const got = (await sink.settle(before + n)) - before;
      const failed = runs.filter((r) => r.code !== 0);
      let queries = 0;
      let storeMs = 0;
      for (const r of runs) {
        const m = /^store: (\d+) queries, (\d+) ms/m.exec(r.stdout);
        if (m) {
          queries += Number(m[1]);
          storeMs += Number(m[2]);
        }
      }
      // runsMs left empty: the table then shows no CPU or memory, which these runs do not measure.
      const side = { label: `${k} worker${k === 1 ? '' : 's'}`, runsMs: [], medianMs: Math.round(ms), cpuMedianMs: NaN, peakRssMb: NaN, othersMaxCores: null, perSecond: Math.round(n / (ms / 1000)) };
      const note =
        failed.length > 0 || got !== n
          ? `FAILED: sink +${got} of ${n}; ${failed.map((r) => tail(r.stderr, 3)).join(' | ')}`
          : `store: ${(queries / n).toFixed(2)} queries and ${(storeMs / n).toFixed(2)} ms per delivery (all workers); each worker: a pool of 5 connections`;
      rows.push({ name: `send --worker ×${k}: ${n.toLocaleString('en')} deliveries of one edition, PostgreSQL, sink on loopback`, broadsheet: side, note });
    }
  } finally {
    sink?.stop();
    await admin.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await admin.end();
    remove(dir);
  }
  return rows;
}
