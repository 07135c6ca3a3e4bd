// The store: the only module that writes state. One implementation over
// Kysely serves both dialects; open.ts picks the dialect.
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Decision, Subscriber } from '../subscribers/lifecycle.ts';
import type { Database, SubscriberStatus, SubscribersTable } from './schema.ts';

/** How a dialect starts a write transaction that holds its lock until commit. */
export interface WriteLock {
  begin(db: Kysely<any>): Promise<void>;
}

/** What a build knows about an article. */
export interface ItemRecord {
  id: string;
  source: string;
  hash: string;
  title: string;
  published: string;
}

/** What the store remembers about an article across builds. */
export interface ItemState {
  id: string;
  firstSeen: string;
  lastChanged: string | null;
}

export type SubscriberKey = { email: string } | { id: string };

export interface SubscriberFilter {
  status?: SubscriberStatus | undefined;
  schedule?: string | undefined;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Reads a subscriber, lets `decide` say what to store, and stores it, in
   * one transaction: concurrent changes to the same address never interleave.
   */
  changeSubscriber<T>(key: SubscriberKey, decide: (current: Subscriber | null) => Decision<T>): Promise<T>;
  /** changeSubscriber for many addresses in one transaction (imports). Results in input order. */
  changeSubscribers<T>(emails: string[], decide: (current: Subscriber | null, index: number) => Decision<T>): Promise<T[]>;
  getSubscriber(key: SubscriberKey): Promise<Subscriber | null>;
  /** Subscribers in id order, a batch at a time, so memory stays flat however many there are. */
  subscriberBatches(filter: SubscriberFilter, batchSize?: number): AsyncGenerator<Subscriber[]>;
  countSubscribers(filter: SubscriberFilter): Promise<number>;
  /** First-seen moments of every source ever seen, by path relative to the articles folder. */
  sourcesFirstSeen(): Promise<Map<string, string>>;
  /** Records sources not seen before as first seen now; returns every source's first-seen moment. */
  recordSources(paths: string[], now: Date): Promise<Map<string, string>>;
  /**
   * Records the articles of a build: new ones are first seen now, changed
   * ones changed now, missing ones removed now. Returns the state of each.
   */
  syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
  close(): Promise<void>;
}

/** Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 500;

function chunks<T>(rows: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export class KyselyStore implements Store {
  constructor(
    readonly db: Kysely<Database>,
    private readonly lock: WriteLock,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Runs fn in one write transaction that holds the dialect's write lock. */
  async write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await this.lock.begin(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
  }

  async sourcesFirstSeen(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('sources').select(['path', 'first_seen']).execute();
    return new Map(rows.map((r) => [r.path, r.first_seen]));
  }

  async recordSources(paths: string[], now: Date): Promise<Map<string, string>> {
    const known = await this.sourcesFirstSeen();
    const fresh = paths.filter((p) => !known.has(p));
    if (fresh.length > 0) {
      const at = now.toISOString();
      await this.write(async (trx) => {
        for (const batch of chunks(fresh)) {
          await trx
            .insertInto('sources')
            .values(batch.map((p) => ({ path: p, first_seen: at })))
            .onConflict((oc) => oc.column('path').doNothing())
            .execute();
        }
      });
      return this.sourcesFirstSeen();
    }
    return known;
  }

  async syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>> {
    const at = now.toISOString();
    return this.write(async (trx) => {
      const existing = new Map(
        (await trx.selectFrom('items').select(['id', 'hash', 'first_seen', 'last_changed', 'removed_at']).execute()).map(
          (r) => [r.id, r],
        ),
      );
      const inserts: Database['items'][] = [];
      const states = new Map<string, ItemState>();
      for (const item of items) {
        const row = existing.get(item.id);
        if (!row) {
          inserts.push({ ...item, first_seen: at, last_changed: null, removed_at: null });
          states.set(item.id, { id: item.id, firstSeen: at, lastChanged: null });
          continue;
        }
        existing.delete(item.id);
        const changed = row.hash !== item.hash;
        if (changed || row.removed_at !== null) {
          await trx
            .updateTable('items')
            .set({
              source: item.source,
              hash: item.hash,
              title: item.title,
              published: item.published,
              removed_at: null,
              ...(changed ? { last_changed: at } : {}),
            })
            .where('id', '=', item.id)
            .execute();
        }
        states.set(item.id, { id: item.id, firstSeen: row.first_seen, lastChanged: changed ? at : row.last_changed });
      }
      for (const batch of chunks(inserts)) await trx.insertInto('items').values(batch).execute();
      const gone = [...existing.values()].filter((r) => r.removed_at === null).map((r) => r.id);
      for (const batch of chunks(gone)) {
        await trx.updateTable('items').set({ removed_at: at }).where('id', 'in', batch).execute();
      }
      return states;
    });
  }

  async changeSubscriber<T>(key: SubscriberKey, decide: (current: Subscriber | null) => Decision<T>): Promise<T> {
    return this.retryOnConflict(() =>
      this.write(async (trx) => {
        const row = await this.selectSubscriber(trx, key);
        const current = row ? subscriberOf(row) : null;
        const { next, result } = decide(current);
        if (next) await this.saveSubscriber(trx, next, current !== null);
        return result;
      }),
    );
  }

  async changeSubscribers<T>(
    emails: string[],
    decide: (current: Subscriber | null, index: number) => Decision<T>,
  ): Promise<T[]> {
    return this.retryOnConflict(() =>
      this.write(async (trx) => {
        const existing = new Map<string, Subscriber>();
        for (const batch of chunks([...new Set(emails)])) {
          const rows = await trx.selectFrom('subscribers').selectAll().where('email', 'in', batch).execute();
          for (const r of rows) existing.set(r.email, subscriberOf(r));
        }
        const results: T[] = [];
        const inserts: Subscriber[] = [];
        for (const [i, email] of emails.entries()) {
          const current = existing.get(email) ?? null;
          const { next, result } = decide(current, i);
          results.push(result);
          if (!next) continue;
          if (current) await this.saveSubscriber(trx, next, true);
          else inserts.push(next);
          existing.set(email, next);
        }
        for (const batch of chunks(inserts)) await trx.insertInto('subscribers').values(batch.map(rowOf)).execute();
        return results;
      }),
    );
  }

  async getSubscriber(key: SubscriberKey): Promise<Subscriber | null> {
    const row = await this.selectSubscriber(this.db, key);
    return row ? subscriberOf(row) : null;
  }

  async *subscriberBatches(filter: SubscriberFilter, batchSize = 1000): AsyncGenerator<Subscriber[]> {
    let after = '';
    for (;;) {
      let q = this.db.selectFrom('subscribers').selectAll().where('id', '>', after).orderBy('id').limit(batchSize);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.schedule) q = q.where('schedule', '=', filter.schedule);
      const rows = await q.execute();
      if (rows.length === 0) return;
      yield rows.map(subscriberOf);
      after = rows.at(-1)!.id;
      if (rows.length < batchSize) return;
    }
  }

  async countSubscribers(filter: SubscriberFilter): Promise<number> {
    let q = this.db.selectFrom('subscribers').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.schedule) q = q.where('schedule', '=', filter.schedule);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private selectSubscriber(db: Kysely<Database>, key: SubscriberKey) {
    const q = db.selectFrom('subscribers').selectAll();
    return ('id' in key ? q.where('id', '=', key.id) : q.where('email', '=', key.email)).executeTakeFirst();
  }

  private async saveSubscriber(trx: Kysely<Database>, s: Subscriber, exists: boolean): Promise<void> {
    if (exists) {
      const { id, ...rest } = rowOf(s);
      await trx.updateTable('subscribers').set(rest).where('id', '=', id).execute();
    } else {
      await trx.insertInto('subscribers').values(rowOf(s)).execute();
    }
  }

  /**
   * Two transactions that both saw no row for a new address both insert it;
   * PostgreSQL rejects the second (SQLite's write lock prevents the race).
   * Running the decision again then sees the row.
   */
  private async retryOnConflict<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) return fn();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function subscriberOf(r: Selectable<SubscribersTable>): Subscriber {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    schedule: r.schedule,
    status: r.status,
    origin: r.origin,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
    unsubscribedAt: r.unsubscribed_at,
    bouncedAt: r.bounced_at,
    bounceReason: r.bounce_reason,
    updatedAt: r.updated_at,
  };
}

function rowOf(s: Subscriber): SubscribersTable {
  return {
    id: s.id,
    email: s.email,
    name: s.name,
    schedule: s.schedule,
    status: s.status,
    origin: s.origin,
    created_at: s.createdAt,
    confirmed_at: s.confirmedAt,
    unsubscribed_at: s.unsubscribedAt,
    bounced_at: s.bouncedAt,
    bounce_reason: s.bounceReason,
    updated_at: s.updatedAt,
  };
}
