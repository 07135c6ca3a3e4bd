// Editions and their deliveries (send/store.ts owns the interface).
import { sql } from 'kysely';
import type { Delivery, DeliveryCounts, Edition } from '../model.ts';
import type { DeliveryOutcome, EditionStore, EditionSummary, NewEdition } from '../send/store.ts';
import { type Count, type Db, chunks } from './db.ts';

const DELIVERY_COLUMNS = [
  'editionId',
  'subscriberId',
  'email',
  'name',
  'state',
  'attempts',
  'lastResponse',
  'messageId',
  'nextAttemptAt',
  'sentAt',
] as const;

function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
}

export class SqlEditionStore implements EditionStore {
  constructor(private readonly db: Db) {}

  async last(schedule: string): Promise<Edition | null> {
    const row = await this.db.kysely
      .selectFrom('editions')
      .selectAll()
      .where('schedule', '=', schedule)
      .orderBy('until', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ?? null;
  }

  async unfinished(schedule: string): Promise<Edition | null> {
    const row = await this.db.kysely
      .selectFrom('editions')
      .selectAll()
      .where('schedule', '=', schedule)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('deliveries')
            .select('deliveries.editionId')
            .whereRef('deliveries.editionId', '=', 'editions.id')
            .where('deliveries.state', 'in', ['queued', 'sending']),
        ),
      )
      .orderBy('until', 'asc')
      .executeTakeFirst();
    return row ?? null;
  }

  async get(id: string): Promise<Edition | null> {
    return (await this.db.kysely.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async list(schedule?: string): Promise<EditionSummary[]> {
    const db = this.db.kysely;
    let q = db
      .selectFrom('editions')
      .select(['id', 'schedule', 'createdAt', 'since', 'until', 'subject', 'itemCount', 'shownCount', 'recipientCount'])
      .orderBy('until', 'desc')
      .orderBy('id', 'desc');
    if (schedule) q = q.where('schedule', '=', schedule);
    const rows = await q.execute();
    const counts = new Map<string, DeliveryCounts>();
    let cq = db
      .selectFrom('deliveries')
      .innerJoin('editions', 'editions.id', 'deliveries.editionId')
      .select(['deliveries.editionId as id', 'deliveries.state as state', (eb) => eb.fn.countAll<Count>().as('n')])
      .groupBy(['deliveries.editionId', 'deliveries.state']);
    if (schedule) cq = cq.where('editions.schedule', '=', schedule);
    for (const c of await cq.execute()) {
      const k = counts.get(c.id) ?? emptyCounts();
      k[c.state] = Number(c.n);
      counts.set(c.id, k);
    }
    return rows.map((r) => ({ ...r, counts: counts.get(r.id) ?? emptyCounts() }));
  }

  async items(id: string): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom('editionItems').select('itemId').where('editionId', '=', id).orderBy('position').execute();
    return rows.map((r) => r.itemId);
  }

  async freeze(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition> {
    return this.db.write(async (trx) => {
      await trx
        .insertInto('editions')
        .values({ ...edition, recipientCount: 0 })
        .execute();
      for (const batch of chunks(itemIds.map((itemId, position) => ({ editionId: edition.id, itemId, position })))) {
        await trx.insertInto('editionItems').values(batch).execute();
      }
      // One statement, however many subscribers: nothing is held in memory,
      // and whoever is active at this moment is exactly who gets the edition.
      const text = (v: string) => sql<string>`cast(${v} as text)`;
      await trx
        .insertInto('deliveries')
        .columns(['editionId', 'subscriberId', 'email', 'name', 'state', 'attempts', 'messageId', 'createdAt', 'updatedAt'])
        .expression(
          trx
            .selectFrom('subscribers')
            .select([
              text(edition.id).as('editionId'),
              'id',
              'email',
              'name',
              text('queued').as('state'),
              sql<number>`0`.as('attempts'),
              sql<string>`${text(`<${edition.id}.`)} || id || ${text(`@${messageIdDomain}>`)}`.as('messageId'),
              text(edition.createdAt).as('createdAt'),
              text(edition.createdAt).as('updatedAt'),
            ])
            .where('schedule', '=', edition.schedule)
            .where('status', '=', 'active'),
        )
        .execute();
      const { n } = await trx
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<Count>().as('n'))
        .where('editionId', '=', edition.id)
        .executeTakeFirstOrThrow();
      await trx.updateTable('editions').set({ recipientCount: Number(n) }).where('id', '=', edition.id).execute();
      return { ...edition, recipientCount: Number(n) };
    });
  }

  async requeueInFlight(editionId: string, now: Date): Promise<number> {
    const r = await this.db.kysely
      .updateTable('deliveries')
      .set({ state: 'queued', claimedBy: null, updatedAt: now.toISOString() })
      .where('editionId', '=', editionId)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async claim(editionId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]> {
    const at = now.toISOString();
    return this.db.write(async (trx) => {
      // Whoever left since the edition was frozen gets nothing more.
      await trx
        .updateTable('deliveries')
        .set({ state: 'skipped', lastResponse: 'not sent: the subscriber is no longer active', updatedAt: at })
        .where('editionId', '=', editionId)
        .where('state', '=', 'queued')
        .where('subscriberId', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('status', '!=', 'active'))
        .execute();
      const due = await trx
        .selectFrom('deliveries')
        .select('subscriberId')
        .where('editionId', '=', editionId)
        .where('state', '=', 'queued')
        .where((eb) => eb.or([eb('nextAttemptAt', 'is', null), eb('nextAttemptAt', '<=', at)]))
        .orderBy('subscriberId')
        .limit(limit)
        .execute();
      if (due.length === 0) return [];
      // Compare-and-set: only rows still queued are taken, so two claimants
      // never hold the same delivery, whatever the isolation level.
      const rows = await trx
        .updateTable('deliveries')
        .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), claimedBy: claimant, updatedAt: at }))
        .where('editionId', '=', editionId)
        .where('state', '=', 'queued')
        .where(
          'subscriberId',
          'in',
          due.map((r) => r.subscriberId),
        )
        .returning(DELIVERY_COLUMNS)
        .execute();
      return rows.sort((a, b) => (a.subscriberId < b.subscriberId ? -1 : 1));
    });
  }

  async record(editionId: string, subscriberId: string, claimant: string, outcome: DeliveryOutcome, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const r = await this.db.kysely
      .updateTable('deliveries')
      .set({
        state: outcome.state,
        lastResponse: outcome.response.slice(0, 1000),
        updatedAt: at,
        claimedBy: null,
        nextAttemptAt: outcome.state === 'queued' ? outcome.nextAttemptAt : null,
        ...(outcome.state === 'sent' ? { sentAt: at } : {}),
      })
      .where('editionId', '=', editionId)
      .where('subscriberId', '=', subscriberId)
      .where('state', '=', 'sending')
      .where('claimedBy', '=', claimant)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async release(editionId: string, subscriberId: string, claimant: string, now: Date): Promise<void> {
    await this.db.kysely
      .updateTable('deliveries')
      .set((eb) => ({ state: 'queued', attempts: eb('attempts', '-', 1), claimedBy: null, nextAttemptAt: null, updatedAt: now.toISOString() }))
      .where('editionId', '=', editionId)
      .where('subscriberId', '=', subscriberId)
      .where('state', '=', 'sending')
      .where('claimedBy', '=', claimant)
      .execute();
  }

  async nextRetryAt(editionId: string): Promise<string | null> {
    const row = await this.db.kysely
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('nextAttemptAt').as('next'))
      .where('editionId', '=', editionId)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    return (row?.next as string | null | undefined) ?? null;
  }

  async counts(editionId: string): Promise<DeliveryCounts> {
    const rows = await this.db.kysely
      .selectFrom('deliveries')
      .select(['state', (eb) => eb.fn.countAll<Count>().as('n')])
      .where('editionId', '=', editionId)
      .groupBy('state')
      .execute();
    const counts = emptyCounts();
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  async requeueFailed(editionId: string, now: Date): Promise<number> {
    const r = await this.db.kysely
      .updateTable('deliveries')
      .set({ state: 'queued', attempts: 0, nextAttemptAt: null, claimedBy: null, updatedAt: now.toISOString() })
      .where('editionId', '=', editionId)
      .where('state', '=', 'failed')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
