// Mail to a real SMTP server: the checks before going live, and what an
// operator sees when the server refuses a confirmation.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/tmp.ts';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

async function workspace(config: string[]) {
  const dir = await tempDir('broadsheet-live-');
  await writeFile(path.join(dir, 'broadsheet.config.yaml'), config.join('\n') + '\n');
  return dir;
}

const LIVE = ['site:', '  baseUrl: https://news.example.com', 'mail:', '  from:', '    address: digest@news.example.com'];

describe('going live', () => {
  it('refuses to mail a real SMTP server from a local site or an unnamed sender, naming the setting', async () => {
    smtp = await startSmtp();
    const env = { SMTP_URL: smtp.url, BROADSHEET_TEMPLATES: path.join(ROOT, 'templates') };
    const local = await workspace(['mail:', '  from:', '    address: digest@news.example.com']);
    const r1 = await runCli(['subscribers', 'add', 'a@example.com'], { cwd: local, env });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('site.baseUrl: error: http://127.0.0.1:8080 is a local address, but mail goes to a real SMTP server (SMTP_URL)');
    const unnamed = await workspace(['site:', '  baseUrl: https://news.example.com']);
    const r2 = await runCli(['send', '--dry-run'], { cwd: unnamed, env: { ...env, BROADSHEET_ARTICLES: path.join(ROOT, 'articles') } });
    expect(r2.code, r2.stderr).toBe(0); // a dry run mails nothing
    const r3 = await runCli(['subscribers', 'add', 'a@example.com'], { cwd: unnamed, env });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('mail.from.address: error: not set, but mail goes to a real SMTP server (SMTP_URL)');
    expect(smtp.received).toHaveLength(0);
    // A test setup says so.
    const r4 = await runCli(['subscribers', 'add', 'a@example.com', '--allow-local'], { cwd: local, env });
    expect(r4.code, r4.stderr).toBe(0);
    expect(smtp.received).toHaveLength(1);
  });

  it('reports a confirmation the server refuses, marks the address bounced, and exits 1', async () => {
    smtp = await startSmtp({ rcpt: (address) => (address.startsWith('nobody') ? { code: 550, message: '5.1.1 <nobody@example.com>: no such user' } : 'accept') });
    const dir = await workspace(LIVE);
    const env = { SMTP_URL: smtp.url, BROADSHEET_TEMPLATES: path.join(ROOT, 'templates') };
    const r = await runCli(['subscribers', 'add', 'nobody@example.com'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: the mail server refused nobody@example.com: 550 5.1.1 <nobody@example.com>: no such user; marked bounced');
    expect(r.stderr).not.toMatch(/internal error|SendError|    at /);
    const list = JSON.parse((await runCli(['subscribers', 'list', '--json'], { cwd: dir, env })).stdout);
    expect(list).toEqual([expect.objectContaining({ email: 'nobody@example.com', status: 'bounced', bounce_reason: expect.stringContaining('550') })]);
    // Others still go through.
    const ok = await runCli(['subscribers', 'add', 'reader@example.com'], { cwd: dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(smtp.received.map((m) => m.rcptTo)).toEqual([['reader@example.com']]);
  });
});
