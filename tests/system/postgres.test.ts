// The store's contract on PostgreSQL (127.0.0.1:5432, user postgres, database
// test; BROADSHEET_TEST_PG overrides). Each test gets a fresh schema, dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { decideSubscribe } from '../../src/subscribers/lifecycle.ts';
import { storeContract } from '../store/contract.ts';

const URL = process.env.BROADSHEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
const clock = () => new Date('2026-11-25T00:00:00Z');

afterAll(async () => {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  await client.end();
});

function freshSchema(): string {
  const s = `bs_test_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
}

const open = (schema: string, now = clock): Promise<Store> => openStore({ databaseUrl: URL, sqlitePath: 'unused', pgSchema: schema }, now);

storeContract('PostgreSQL', (now) => open(freshSchema(), now));

describe('PostgreSQL specifics', () => {
  it('applies each migration once when several stores open a fresh schema at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(schema)));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: URL });
    await client.connect();
    const { rows } = await client.query(`select version from "${schema}".schema_migrations order by version`);
    await client.end();
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('keeps one subscriber when two connections subscribe the same new address at once', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    try {
      const subscribeWith = (store: Store, id: string) =>
        store.changeSubscriber({ email: 'race@example.com' }, (current) =>
          decideSubscribe(current, { email: 'race@example.com', name: null, schedule: 'daily', origin: 'web', confirmed: false }, clock().toISOString(), id),
        );
      const results = await Promise.all([subscribeWith(a!, '1'.repeat(32)), subscribeWith(b!, '2'.repeat(32))]);
      expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'pending-again']);
      expect(await a!.countSubscribers({})).toBe(1);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('names the database, never the password, when it cannot connect', async () => {
    await expect(
      openStore({ databaseUrl: 'postgres://postgres:secret-pw@127.0.0.1:1/test', sqlitePath: 'unused' }, clock),
    ).rejects.toThrow(/^PostgreSQL 127\.0\.0\.1:1\/test: error: cannot open the database: .*ECONNREFUSED/);
    await openStore({ databaseUrl: 'postgres://postgres:secret-pw@127.0.0.1:1/test', sqlitePath: 'unused' }, clock).catch((e: Error) =>
      expect(e.message).not.toContain('secret-pw'),
    );
  });
});
