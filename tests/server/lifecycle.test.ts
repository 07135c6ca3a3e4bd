// `broadsheet serve` as a real child process: SIGTERM lets an SMTP
// transaction in flight finish and exits 0; `npm start` on a fresh copy of
// the project (no data, no public/) answers GET /rss.xml.
import { spawn } from 'node:child_process';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, startCli } from '../helpers/cli.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/tmp.ts';
import { freePort, until } from './harness.ts';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

describe('broadsheet serve (child process)', () => {
  it('on SIGTERM finishes the SMTP transaction in flight, records nothing half-done, and exits 0', async () => {
    smtp = await startSmtp({ delayMs: 1500 });
    const dir = await tempDir('broadsheet-serve-cli-');
    await cp(path.join(ROOT, 'articles'), path.join(dir, 'articles'), { recursive: true });
    const port = await freePort();
    await writeFile(
      path.join(dir, 'broadsheet.config.yaml'),
      ['site:', `  baseUrl: http://127.0.0.1:${port}`, 'paths:', `  templates: ${path.join(ROOT, 'templates')}`, 'mail:', '  from:', '    address: digest@news.example.com'].join('\n'),
    );
    const cli = startCli(['--allow-local', 'serve', '--port', String(port), '--no-scheduler'], { cwd: dir, env: { SMTP_URL: smtp.url, BROADSHEET_SECRET: 'z'.repeat(64) } });
    let stderr = '';
    cli.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('the service listening', () => stderr.includes('"msg":"serving '), 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/subscribe`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=late%40example.com',
    });
    expect(res.status).toBe(202);
    // The message is being sent (the server holds DATA for 1.5 s) when SIGTERM arrives.
    await until('the SMTP transaction under way', () => (smtp!.attempts.get('late@example.com') ?? 0) > 0);
    expect(smtp.received).toHaveLength(0);
    cli.child.kill('SIGTERM');
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(smtp.received.map((m) => m.rcptTo)).toEqual([['late@example.com']]);
    const lines = done.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    const msgs = lines.map((l) => l.msg);
    expect(msgs.indexOf('confirmation email sent')).toBeGreaterThan(msgs.indexOf('stopping: finishing requests and messages in flight'));
    expect(msgs.at(-1)).toBe('stopped');
    // Stopped: nothing answers any more.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 120_000);

  it('`npm start` on a fresh copy builds, then serves rss.xml', async () => {
    const dir = await tempDir('broadsheet-fresh-');
    for (const part of ['src', 'templates', 'articles', 'bin', 'package.json', 'tsconfig.json']) {
      await cp(path.join(ROOT, part), path.join(dir, part), { recursive: true });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    await mkdir(path.join(dir, 'tmp'));
    const port = await freePort();
    // Its own process group, so the test ends npm and the service together, by id.
    const child = spawn('npm', ['start', '--', '--port', String(port)], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BROADSHEET_SECRET: 'z'.repeat(64) } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      let rss: Response | null = null;
      await until(
        'GET /rss.xml answered',
        async () => {
          rss = await fetch(`http://127.0.0.1:${port}/rss.xml`).catch(() => null);
          return rss !== null;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${stderr}`);
      });
      expect(rss!.status).toBe(200);
      expect(rss!.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
      expect(await rss!.text()).toContain('<rss version="2.0"');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }, 120_000);
});
