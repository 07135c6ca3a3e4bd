// Token buckets in the database (send/store.ts owns the interface), so that
// every worker on every machine draws on one rate: mail.smtp.rateLimit is
// what the relay allows, not what each process may send.
import type { RateStore } from '../send/store.ts';
import type { Db } from './db.ts';

export class SqlRateStore implements RateStore {
  constructor(private readonly db: Db) {}

  async take(name: string, want: number, perSecond: number, capacity: number, now: Date): Promise<number> {
    const at = now.toISOString();
    return this.db.write(async (trx) => {
      // The bucket's row is locked for the transaction (PostgreSQL), or the
      // whole database is (SQLite): takers queue, and none sees a stale count.
      await this.db.lock.serialize(trx, `rate:${name}`);
      let q = trx.selectFrom('rateLimits').select(['tokens', 'updatedAt']).where('name', '=', name);
      if (this.db.lock.rowLocks) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      // A new bucket starts full; time only fills it, never past its capacity.
      const elapsed = row ? Math.max(0, (now.getTime() - Date.parse(row.updatedAt)) / 1000) : Infinity;
      const tokens = Math.min(capacity, (row?.tokens ?? capacity) + elapsed * perSecond);
      const granted = Math.max(0, Math.min(want, Math.floor(tokens)));
      const left = tokens - granted;
      // A clock behind the last taker's does not move the bucket back.
      const updatedAt = row && row.updatedAt > at ? row.updatedAt : at;
      if (row) await trx.updateTable('rateLimits').set({ tokens: left, updatedAt }).where('name', '=', name).execute();
      else await trx.insertInto('rateLimits').values({ name, tokens: left, updatedAt }).execute();
      return granted;
    }, `taking from the rate limit ${name}`);
  }
}
