// Faults an operator meets end as one clear line and a documented exit code,
// never a stack trace (exit 70 is for bugs).
import { open } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { decideSubscribe } from '../../src/subscribers/lifecycle.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

/** A SQLite store with n active subscribers, made in-process (quicker than n CLI calls). */
async function storeWith(dir: string, n: number): Promise<string> {
  const file = path.join(dir, 'data', 'broadsheet.db');
  const store = await openStore({ sqlitePath: file }, () => new Date());
  const emails = Array.from({ length: n }, (_, i) => `reader${i}@example.com`);
  await store.subscribers.changeMany(emails, (c, i) =>
    decideSubscribe(c, { email: emails[i]!, name: `读者${i}`, schedule: 'daily', origin: 'import', confirmed: true }, new Date().toISOString(), i.toString(16).padStart(32, '0')),
  );
  await store.close();
  return file;
}

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/internal error|^\s+at /m);
}

describe('faults end as one clear line', () => {
  it('a "billion laughs" config is a config error (exit 2), not a hung or crashed process', async () => {
    const dir = await tempDir();
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = String.fromCharCode('a'.charCodeAt(0) + i);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    await writeFiles(dir, { 'broadsheet.config.yaml': laughs.join('\n') + '\n', 'articles/a.txt': '# 标题\n\n正文。\n' });
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^broadsheet\.config\.yaml:1: error: invalid YAML: .*alias/i);
    noStackTrace(r.stderr);
  });

  it('a DATABASE_URL that is not PostgreSQL is a configuration error (exit 2) naming the variable', async () => {
    const dir = await tempDir();
    const r = await runCli(['subscribers', 'list'], { cwd: dir, env: { DATABASE_URL: 'mysql://root@127.0.0.1/test' } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('environment variable DATABASE_URL: error: must be a postgres:// or postgresql:// URL (unset it to use the SQLite file)');
  });

  it('a partly damaged SQLite file: list and export stop with exit 69 and say so', async () => {
    const dir = await tempDir();
    const file = await storeWith(dir, 3000); // data/broadsheet.db, the default the CLI opens
    // Overwrite pages in the middle of the file (the subscribers' rows), leaving the header and schema intact.
    const handle = await open(file, 'r+');
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(64 * 1024, 0xa5), 0, 64 * 1024, Math.floor(size / 2));
    await handle.close();
    for (const args of [['subscribers', 'list'], ['subscribers', 'export']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(69);
      expect(r.stderr).toMatch(/^SQLite data\/broadsheet\.db: error: the database file is damaged \(SQLITE_(CORRUPT|NOTADB)/m);
      noStackTrace(r.stderr);
    }
  });

  it('exits quietly when the reader of its output goes away (| head -1)', async () => {
    const dir = await tempDir();
    await storeWith(dir, 3000);
    const { child, done } = startCli(['subscribers', 'list'], { cwd: dir });
    child.stdout!.once('data', () => child.stdout!.destroy());
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});
