import { spawn } from 'node:child_process';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { storeContract } from './contract.ts';

const clock = () => new Date('2026-11-25T00:00:00Z');

storeContract('SQLite', async (now = clock) => openStore({ sqlitePath: path.join(await tempDir(), 'b.db') }, now));

describe('SQLite migrations', () => {
  it('creates every table on a fresh database and records each migration once', async () => {
    const file = path.join(await tempDir(), 'b.db');
    (await openStore({ sqlitePath: file }, clock)).close();
    const store = await openStore({ sqlitePath: file }, clock);
    await store.close();
    const db = new SQLite(file, { readonly: true });
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(['items', 'schema_migrations', 'sources', 'subscribers']));
    const versions = db.prepare('select version from schema_migrations order by version').all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    db.close();
  });

  it('upgrades a database made by the first version and keeps its data', async () => {
    const file = path.join(await tempDir(), 'b.db');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    await migrate(db, { begin: async (d) => void (await sql`begin immediate`.execute(d)), serialize: async () => undefined }, clock, MIGRATIONS.slice(0, 1));
    await db
      .insertInto('subscribers')
      .values({ id: 'a'.repeat(32), email: 'old@example.com', name: null, schedule: 'daily', status: 'active', origin: 'cli', created_at: 'x', updated_at: 'x' })
      .execute();
    await db.destroy();
    const store = await openStore({ sqlitePath: file }, clock);
    try {
      expect(await store.subscribers.get({ email: 'old@example.com' })).toMatchObject({ status: 'active' });
    } finally {
      await store.close();
    }
    const check = new SQLite(file, { readonly: true });
    expect(check.prepare('select count(*) as n from schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    check.close();
  });

  it('lets several processes start on a fresh database at once, applying each migration once', async () => {
    const file = path.join(await tempDir(), 'b.db');
    const script = `import { openStore } from ${JSON.stringify(path.join(ROOT, 'src/store/open.ts'))};
      const s = await openStore({ sqlitePath: process.argv[1] }, () => new Date()); await s.close(); console.log('ok');`;
    const runs = Array.from({ length: 4 }, () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], { cwd: ROOT });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
      }),
    );
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const db = new SQLite(file, { readonly: true });
    expect(db.prepare('select count(*) as n from schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    db.close();
  });

  it('reports a database it cannot open with the file name', async () => {
    const dir = await tempDir();
    await expect(openStore({ sqlitePath: dir }, clock)).rejects.toThrow(`${dir}: error: cannot open the SQLite database`);
  });
});
