// `broadsheet subscribers …` through the real binary, on a temporary SQLite file.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { verifyToken } from '../../src/subscribers/tokens.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function workspace() {
  const dir = await tempDir('broadsheet-cli-');
  const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates'), BROADSHEET_BASE_URL: 'https://news.example.com' };
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  return { dir, cli };
}

describe('broadsheet subscribers', () => {
  it('adds a pending subscriber and writes a confirmation email whose link confirms them', async () => {
    const { dir, cli } = await workspace();
    const r = await cli('subscribers', 'add', '  Reader@Example.COM ', '--name', '读者');
    expect(r.stderr).toContain('mail: SMTP_URL is not set; messages go to the file outbox outbox/');
    expect(r.stdout).toContain('added reader@example.com (daily), pending: confirmation sent');
    expect(r.code).toBe(0);

    const secretFile = path.join(dir, 'data', 'secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(r.stdout + r.stderr).not.toContain(secret);

    const [file] = await readdir(path.join(dir, 'outbox'));
    const mail = await simpleParser(await readFile(path.join(dir, 'outbox', file!)));
    expect(mail.subject).toBe('请确认订阅山西日报「每日要闻」');
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    expect(to?.value).toEqual([{ address: 'reader@example.com', name: '读者' }]);
    const link = /https:\/\/news\.example\.com\/confirm\?token=([\w.-]+)/.exec(mail.text ?? '')!;
    expect(mail.html).toContain(link[0]);
    // Greeted by the name they gave (a name that could carry a link is left out: tests/subscribers/confirmation.test.ts).
    expect(mail.text).toMatch(/^读者，您好：/);
    expect(mail.html).toContain('读者，您好：');
    // The link is signed over this subscription's confirm nonce, kept in the database.
    const db = new SQLite(path.join(dir, 'data', 'broadsheet.db'), { readonly: true });
    const { confirm_nonce: nonce } = db.prepare('select confirm_nonce from subscribers').get() as { confirm_nonce: string };
    db.close();
    expect(verifyToken(secret, 'confirm', link[1]!, new Date(), nonce)).toMatch(/^[0-9a-f]{32}$/);

    const list = JSON.parse((await cli('subscribers', 'list', '--json')).stdout);
    expect(list).toEqual([
      expect.objectContaining({ email: 'reader@example.com', name: '读者', schedule: 'daily', status: 'pending', origin: 'cli', confirmed_at: null }),
    ]);
    expect(Object.keys(list[0])).toEqual([
      'email', 'name', 'schedule', 'status', 'origin', 'created_at', 'confirmed_at', 'unsubscribed_at', 'bounced_at', 'bounce_reason', 'updated_at',
    ]);
  });

  it('rejects bad input with a clear error naming the field, and changes nothing', async () => {
    const { dir, cli } = await workspace();
    const cases: Array<[string[], string]> = [
      [['not-an-email'], 'error: email: address is not an email address'],
      [['a@example.com\r\nBcc: all@example.com'], 'error: email: address contains a line break or control character'],
      [['a@example.com', '--schedule', 'monthly'], 'error: schedule: unknown schedule "monthly" (known: daily, weekly)'],
      [['a@example.com', '--name', '名'.repeat(101)], 'error: name: name is longer than 100 characters'],
    ];
    for (const [args, message] of cases) {
      const r = await cli('subscribers', 'add', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(JSON.parse((await cli('subscribers', 'list', '--json')).stdout)).toEqual([]);
    await expect(readdir(path.join(dir, 'outbox'))).rejects.toThrow();
  });

  it('imports good rows, reports bad ones by line, and changes nothing the second time', async () => {
    const { dir, cli } = await workspace();
    await cli('subscribers', 'add', 'gone@example.com', '--confirmed');
    await cli('subscribers', 'remove', 'gone@example.com');
    const csv = [
      'email,name,schedule',
      'a@example.com,甲,daily',
      'not-an-email,乙,daily',
      'b@example.com,丙,monthly',
      '"c@example.com","丁, with a comma",weekly',
      'gone@example.com,戊,daily',
      'A@Example.com,甲二,daily',
      'd@例子.测试,,',
      'e@example.com,"unterminated',
    ].join('\n');
    await writeFile(path.join(dir, 'list.csv'), csv);
    const first = await cli('subscribers', 'import', 'list.csv', '--confirmed');
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('list.csv:3: error: address is not an email address (name@example.com); row skipped');
    expect(first.stderr).toContain('list.csv:4: error: unknown schedule "monthly" (known: daily, weekly); row skipped');
    expect(first.stderr).toContain('list.csv:6: warning: gone@example.com is unsubscribed; an import never re-adds them');
    expect(first.stderr).toMatch(/list\.csv:9: error: .*[Qq]uote.*; row skipped/);
    expect(first.stdout).toBe('read 8 rows: added 3, activated 0, unchanged 1, skipped 4 (line 3, line 4, line 6, line 9)\n');
    const second = await cli('subscribers', 'import', 'list.csv', '--confirmed');
    expect(second.stdout).toBe('read 8 rows: added 0, activated 0, unchanged 4, skipped 4 (line 3, line 4, line 6, line 9)\n');
    const list = JSON.parse((await cli('subscribers', 'list', '--json', '--status', 'active')).stdout);
    expect(list.map((s: { email: string }) => s.email).sort()).toEqual(['a@example.com', 'c@example.com', 'd@例子.测试']);
    expect(list.find((s: { email: string }) => s.email === 'c@example.com')).toMatchObject({ name: '丁, with a comma', schedule: 'weekly', origin: 'import' });
  });

  it('sends confirmations for an import without --confirmed, once', async () => {
    const { dir, cli } = await workspace();
    await writeFile(path.join(dir, 'l.csv'), 'email\na@example.com\nb@example.com\n');
    const first = await cli('subscribers', 'import', 'l.csv');
    expect(first.stdout).toBe('read 2 rows: added 2, activated 0, unchanged 0, skipped 0; 2 confirmation emails sent\n');
    const again = await cli('subscribers', 'import', 'l.csv');
    expect(again.stdout).toBe('read 2 rows: added 0, activated 0, unchanged 2, skipped 0; 0 confirmation emails sent\n');
    expect(await readdir(path.join(dir, 'outbox'))).toHaveLength(2);
  });

  it('refuses a CSV without an email column', async () => {
    const { dir, cli } = await workspace();
    await writeFile(path.join(dir, 'l.csv'), 'mail,name\na@example.com,x\n');
    const r = await cli('subscribers', 'import', 'l.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('l.csv:1: error: the header must name an "email" column (expected: email,name,schedule)');
  });

  it('exports every field as CSV and unsubscribes idempotently', async () => {
    const { cli } = await workspace();
    await cli('subscribers', 'add', 'a@example.com', '--confirmed', '--name', '甲, "乙"');
    const removed = await cli('subscribers', 'remove', 'a@example.com');
    expect(removed.stdout).toBe('unsubscribed a@example.com\nunsubscribed 1\n');
    const again = await cli('subscribers', 'remove', 'A@EXAMPLE.com');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^a@example\.com was already unsubscribed \(since .*\); nothing changed\nunsubscribed 0\n$/);
    // Idempotent for an address never seen, too.
    const unknown = await cli('subscribers', 'remove', 'nobody@example.com');
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toBe('nobody@example.com is not subscribed; nothing changed\nunsubscribed 0\n');
    await cli('subscribers', 'add', 'b@example.com', '--confirmed', '--name', '=HYPERLINK("http://evil.example","点我")');
    const csv = (await cli('subscribers', 'export')).stdout.trimEnd().split('\n');
    // A UTF-8 byte order mark first, so Excel reads the Chinese right.
    expect(csv[0]).toBe('\uFEFFemail,name,schedule,status,origin,created_at,confirmed_at,unsubscribed_at,bounced_at,bounce_reason,updated_at');
    const rows = csv.slice(1).sort();
    expect(rows[0]).toMatch(/^a@example\.com,"甲, ""乙""",daily,unsubscribed,cli,\S+,\S+,\S+,,,\S+$/);
    // A name a spreadsheet would run as a formula is exported as text.
    expect(rows[1]).toMatch(/^b@example\.com,"'=HYPERLINK\(""http:\/\/evil\.example"",""点我""\)",daily,active,/);
  });

  it('imports 100,000 rows (streamed, in batches)', async () => {
    const { dir, cli } = await workspace();
    const rows = ['email,name,schedule'];
    for (let i = 0; i < 100_000; i++) rows.push(`reader${i}@example.com,读者${i},${i % 7 === 0 ? 'weekly' : 'daily'}`);
    await writeFile(path.join(dir, 'big.csv'), rows.join('\n'));
    const r = await cli('subscribers', 'import', 'big.csv', '--confirmed');
    expect(r.stdout).toBe('read 100000 rows: added 100000, activated 0, unchanged 0, skipped 0\n');
    expect(r.code).toBe(0);
    const weekly = (await cli('subscribers', 'list', '--status', 'active', '--schedule', 'weekly')).stderr;
    expect(weekly).toBe(`${Math.ceil(100_000 / 7)} subscribers\n`);
  }, 120_000);
});
