// The store's contract on PostgreSQL (127.0.0.1:5432, user postgres, database
// test; BROADSHEET_TEST_PG overrides). Each test gets a fresh schema, dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/open.ts';
import { decideConfirm, decideSubscribe, decideUnsubscribe } from '../../src/subscribers/lifecycle.ts';
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
        store.subscribers.change({ email: 'race@example.com' }, (current) =>
          decideSubscribe(current, { email: 'race@example.com', name: null, schedule: 'daily', origin: 'web', confirmed: false }, clock().toISOString(), id),
        );
      const results = await Promise.all([subscribeWith(a!, '1'.repeat(32)), subscribeWith(b!, '2'.repeat(32))]);
      expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'pending-again']);
      expect(await a!.subscribers.count({})).toBe(1);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('never hands one delivery to two claimants racing on separate connections', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(schema)));
    try {
      const [first] = stores;
      for (let i = 0; i < 200; i++) {
        const email = `r${i}@example.com`;
        await first!.subscribers.change({ email }, (c) =>
          decideSubscribe(c, { email, name: null, schedule: 'daily', origin: 'import', confirmed: true }, clock().toISOString(), i.toString(16).padStart(32, '0')),
        );
      }
      await first!.editions.freeze(
        { id: 'e', schedule: 'daily', createdAt: clock().toISOString(), since: clock().toISOString(), until: clock().toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 0, shownCount: 0 },
        [],
        'x.example',
      );
      const claimed: string[] = [];
      await Promise.all(
        stores.map(async (s, k) => {
          for (;;) {
            const batch = await s.editions.claim('e', `run-${k}`, new Date(), 7, new Date(new Date().getTime() + 60_000));
            if (batch.length === 0) return;
            claimed.push(...batch.map((d) => d.subscriberId));
          }
        }),
      );
      expect(claimed).toHaveLength(200);
      expect(new Set(claimed).size).toBe(200);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('lets exactly one of many takers have an expired lease', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 6 }, () => open(schema)));
    try {
      const t0 = new Date('2026-11-25T00:00:00Z');
      await stores[0]!.leases.acquire('send:daily', 'old', t0, new Date(t0.getTime() + 1000), () => false);
      for (let round = 0; round < 20; round++) {
        const now = new Date(t0.getTime() + (round + 1) * 10_000);
        const won = await Promise.all(
          stores.map((s, k) => s.leases.acquire('send:daily', `taker-${round}-${k}`, now, new Date(now.getTime() + 5000), () => false)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('applies a confirm and an unsubscribe racing on one subscriber one after the other', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    try {
      for (let i = 0; i < 30; i++) {
        const email = `race${i}@example.com`;
        const { subscriber } = await a!.subscribers.change({ email }, (c) =>
          decideSubscribe(c, { email, name: null, schedule: 'daily', origin: 'web', confirmed: false }, clock().toISOString(), i.toString(16).padStart(32, '0')),
        );
        const [unsub] = await Promise.all([
          b!.subscribers.change({ id: subscriber!.id }, (c) => decideUnsubscribe(c, new Date().toISOString())),
          a!.subscribers.change({ id: subscriber!.id }, (c) => decideConfirm(c, new Date().toISOString())),
        ]);
        const final = await a!.subscribers.get({ id: subscriber!.id });
        // Whichever ran second saw the first: an unsubscribe that reported success is never undone.
        expect(unsub.outcome).toBe('unsubscribed');
        expect(final!.status).toBe('unsubscribed');
      }
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('lets two builds record items at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => open(schema)));
    try {
      const items = Array.from({ length: 50 }, (_, i) => ({ id: `a#${i}`, source: 'a.txt', hash: 'h', title: 't', published: '2026-03-31T00:00:00+08:00' }));
      await Promise.all(stores.map((s) => s.items.syncItems(items, new Date())));
      const states = await stores[0]!.items.previewItems(items, new Date());
      expect(states.size).toBe(50);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
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
