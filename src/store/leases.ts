// Named leases with an expiry (send/store.ts owns the interface).
import type { LeaseStore } from '../send/store.ts';
import type { Db } from './db.ts';

export class SqlLeaseStore implements LeaseStore {
  constructor(private readonly db: Db) {}

  async acquire(name: string, holder: string, now: Date, expiresAt: Date, isDead: (holder: string) => boolean): Promise<boolean> {
    // Safe to run again: a second try after a lost connection sees the row the first one wrote, which is ours.
    return this.db.run(`taking the lease ${name}`, () => this.acquireOnce(name, holder, now, expiresAt, isDead));
  }

  private async acquireOnce(name: string, holder: string, now: Date, expiresAt: Date, isDead: (holder: string) => boolean): Promise<boolean> {
    const db = this.db.kysely;
    const row = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) {
      const r = await db
        .insertInto('leases')
        .values({ name, holder, expiresAt: expiresAt.toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const free = row.holder === holder || row.expiresAt <= now.toISOString() || isDead(row.holder);
    if (!free) return false;
    // Compare-and-set on the row as we saw it: of two takers, one wins.
    const r = await db
      .updateTable('leases')
      .set({ holder, expiresAt: expiresAt.toISOString() })
      .where('name', '=', name)
      .where('holder', '=', row.holder)
      .where('expiresAt', '=', row.expiresAt)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async renew(name: string, holder: string, expiresAt: Date): Promise<boolean> {
    const r = await this.db.run(`renewing the lease ${name}`, () =>
      this.db.kysely.updateTable('leases').set({ expiresAt: expiresAt.toISOString() }).where('name', '=', name).where('holder', '=', holder).executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.run(`releasing the lease ${name}`, () => this.db.kysely.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute());
  }

  async holder(name: string): Promise<{ holder: string; expiresAt: string } | null> {
    const row = await this.db.run(`reading the lease ${name}`, () =>
      this.db.kysely.selectFrom('leases').select(['holder', 'expiresAt']).where('name', '=', name).executeTakeFirst(),
    );
    return row ?? null;
  }
}
