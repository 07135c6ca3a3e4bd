// Subscribers: the lifecycle's decisions applied atomically
// (subscribers/store.ts owns the interface).
import type { Kysely } from 'kysely';
import type { Subscriber } from '../model.ts';
import type { Decision } from '../subscribers/lifecycle.ts';
import type { SubscriberFilter, SubscriberKey, SubscriberStore } from '../subscribers/store.ts';
import { type Count, type Db, chunks } from './db.ts';
import type { Database } from './schema.ts';

export class SqlSubscriberStore implements SubscriberStore {
  constructor(private readonly db: Db) {}

  async change<T>(key: SubscriberKey, decide: (current: Subscriber | null) => Decision<T>): Promise<T> {
    return this.retryOnConflict(() =>
      this.db.write(async (trx) => {
        const current = (await this.select(trx, key, true)) ?? null;
        const { next, result } = decide(current);
        if (next) await this.save(trx, next, current !== null);
        return result;
      }),
    );
  }

  async changeMany<T>(emails: string[], decide: (current: Subscriber | null, index: number) => Decision<T>): Promise<T[]> {
    return this.retryOnConflict(() =>
      this.db.write(async (trx) => {
        const existing = new Map<string, Subscriber>();
        for (const batch of chunks([...new Set(emails)])) {
          let q = trx.selectFrom('subscribers').selectAll().where('email', 'in', batch);
          if (this.db.lock.rowLocks) q = q.forUpdate();
          for (const r of await q.execute()) existing.set(r.email, r);
        }
        const results: T[] = [];
        const inserts: Subscriber[] = [];
        for (const [i, email] of emails.entries()) {
          const current = existing.get(email) ?? null;
          const { next, result } = decide(current, i);
          results.push(result);
          if (!next) continue;
          if (current) await this.save(trx, next, true);
          else inserts.push(next);
          existing.set(email, next);
        }
        for (const batch of chunks(inserts)) await trx.insertInto('subscribers').values(batch).execute();
        return results;
      }),
    );
  }

  async get(key: SubscriberKey): Promise<Subscriber | null> {
    return (await this.select(this.db.kysely, key)) ?? null;
  }

  async *batches(filter: SubscriberFilter, batchSize = 1000): AsyncGenerator<Subscriber[]> {
    let after = '';
    for (;;) {
      let q = this.db.kysely.selectFrom('subscribers').selectAll().where('id', '>', after).orderBy('id').limit(batchSize);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.schedule) q = q.where('schedule', '=', filter.schedule);
      const rows = await q.execute();
      if (rows.length === 0) return;
      yield rows;
      after = rows.at(-1)!.id;
      if (rows.length < batchSize) return;
    }
  }

  async count(filter: SubscriberFilter): Promise<number> {
    let q = this.db.kysely.selectFrom('subscribers').select((eb) => eb.fn.countAll<Count>().as('n'));
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.schedule) q = q.where('schedule', '=', filter.schedule);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /** `forUpdate`: inside a write transaction, lock the row until commit (a no-op where the database is locked whole). */
  private select(db: Kysely<Database>, key: SubscriberKey, forUpdate = false) {
    let q = db.selectFrom('subscribers').selectAll();
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('email', '=', key.email);
    if (forUpdate && this.db.lock.rowLocks) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  private async save(trx: Kysely<Database>, s: Subscriber, exists: boolean): Promise<void> {
    if (exists) {
      const { id, ...rest } = s;
      await trx.updateTable('subscribers').set(rest).where('id', '=', id).execute();
    } else {
      await trx.insertInto('subscribers').values(s).execute();
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
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
