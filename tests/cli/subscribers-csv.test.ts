// The spreadsheet round trip a newsroom actually does: a list saved by Excel
// on Chinese Windows (GBK), UTF-16 and UTF-8 with a BOM, and `export` output
// imported again, with formula-looking cells neutralised on the way out and
// restored on the way in.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function workspace() {
  const dir = await tempDir('broadsheet-csv-');
  const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates'), BROADSHEET_BASE_URL: 'https://news.example.com' };
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  const list = async () =>
    (JSON.parse((await cli('subscribers', 'list', '--json')).stdout) as Array<Record<string, string | null>>)
      .map((s) => ({ email: s.email, name: s.name, schedule: s.schedule, status: s.status }))
      .sort((a, b) => (a.email! < b.email! ? -1 : 1));
  return { dir, cli, list };
}

describe('subscribers CSV', () => {
  it('reads GBK (Excel on Chinese Windows), UTF-16 and UTF-8 with a BOM', async () => {
    const { dir, cli, list } = await workspace();
    await writeFile(path.join(dir, 'gbk.csv'), iconv.encode('email,name,schedule\r\nzhang@example.com,张三,daily\r\n', 'gbk'));
    await writeFile(path.join(dir, 'utf16.csv'), iconv.encode('\uFEFFemail,name,schedule\r\nli@example.com,李四,weekly\r\n', 'utf-16le'));
    await writeFile(path.join(dir, 'bom.csv'), '\uFEFFemail,name\nwang@example.com,王五\n');
    const gbk = await cli('subscribers', 'import', 'gbk.csv', '--confirmed');
    expect(gbk.code, gbk.stderr).toBe(0);
    expect(gbk.stderr).toContain('gbk.csv: info: read as GB18030');
    expect((await cli('subscribers', 'import', 'utf16.csv', '--confirmed')).code).toBe(0);
    expect((await cli('subscribers', 'import', 'bom.csv', '--confirmed')).code).toBe(0);
    expect(await list()).toEqual([
      { email: 'li@example.com', name: '李四', schedule: 'weekly', status: 'active' },
      { email: 'wang@example.com', name: '王五', schedule: 'daily', status: 'active' },
      { email: 'zhang@example.com', name: '张三', schedule: 'daily', status: 'active' },
    ]);
  });

  // Several processes one after another: room for a loaded machine (nothing here is about speed).
  it('imports what export wrote: same people, same statuses, formula-looking cells guarded out and restored in', { timeout: 90_000 }, async () => {
    const a = await workspace();
    const formula = "=cmd|'/Ccalc'!A0@example.com";
    // One import makes the list (quicker than an add per person): active, pending, unsubscribed, formula-looking cells.
    const list = ['email,name,status', 'a@example.com,"甲, ""乙""",active', 'pending@example.com,,pending', 'gone@example.com,,unsubscribed', `"${formula}",@SUM(1+1),active`];
    await writeFile(path.join(a.dir, 'list.csv'), list.join('\n'));
    const made = await a.cli('subscribers', 'import', 'list.csv', '--confirmed');
    expect(made.code, made.stderr).toBe(0);
    const exported = await a.cli('subscribers', 'export');
    // Every cell a spreadsheet would run is text: the address too.
    for (const line of exported.stdout.split('\n').slice(1)) expect(line, line).not.toMatch(/(^|,)"?[=+\-@]/);
    expect(exported.stdout).toContain(`\n'=cmd|'/ccalc'!a0@example.com,'@SUM(1+1),daily,active,`);
    expect(exported.stdout).toContain(`'@SUM(1+1)`);

    const b = await workspace();
    await writeFile(path.join(b.dir, 'export.csv'), exported.stdout);
    const imported = await b.cli('subscribers', 'import', 'export.csv', '--confirmed');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/export\.csv:1: info: column\(s\) "origin", "created_at", "confirmed_at", "updated_at" ignored/);
    expect(imported.stdout).toContain('1 recorded as unsubscribed or bounced (never mailed)');
    expect(await b.list()).toEqual(await a.list());
    // Nothing was mailed: not the one who left, not the one who never confirmed.
    await expect(readdir(path.join(b.dir, 'outbox'))).rejects.toThrow();
    // And the suppression holds: importing the one who left again does not bring them back.
    await writeFile(path.join(b.dir, 'again.csv'), 'email\ngone@example.com\n');
    const again = await b.cli('subscribers', 'import', 'again.csv');
    expect(again.stderr).toContain('again.csv:2: warning: gone@example.com is unsubscribed; an import never re-adds them');
  });

  it('refuses a header with a repeated column, and warns about names that did not decode', async () => {
    const { dir, cli, list } = await workspace();
    await writeFile(path.join(dir, 'twice.csv'), 'email,name,Email\na@example.com,甲,b@example.com\n');
    const twice = await cli('subscribers', 'import', 'twice.csv', '--confirmed');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('twice.csv:1: error: column(s) "email" appear more than once');
    await writeFile(path.join(dir, 'broken.csv'), 'email,name\nc@example.com,\uFFFD\uFFFD三\n');
    const broken = await cli('subscribers', 'import', 'broken.csv', '--confirmed');
    expect(broken.code).toBe(0);
    expect(broken.stderr).toContain('broken.csv:2: warning: the name of c@example.com holds undecodable bytes (U+FFFD)');
    expect(await list()).toEqual([{ email: 'c@example.com', name: '\uFFFD\uFFFD三', schedule: 'daily', status: 'active' }]);
  });
});
