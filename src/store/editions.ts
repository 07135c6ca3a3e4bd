// Editions and their deliveries (send/store.ts owns the interface).
import { type Kysely, sql } from 'kysely';
import { BusyError } from '../errors.ts';
import type { Delivery, DeliveryCounts, Edition } from '../model.ts';
import type { Answer, DeliveryFailure, EditionStore, EditionSummary, NewEdition, Requeued } from '../send/store.ts';
import { type Count, type Db, chunks } from './db.ts';
import type { Database } from './schema.ts';

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
    const row = await this.db.run('reading the last edition', () =>
      this.db.kysely
        .selectFrom('editions')
        .selectAll()
        .where('schedule', '=', schedule)
        .orderBy('until', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst(),
    );
    return row ?? null;
  }

  async unfinished(schedule: string): Promise<Edition | null> {
    const row = await this.db.run('reading unfinished editions', () => this.openEditions().where('schedule', '=', schedule).executeTakeFirst());
    return row ?? null;
  }

  /** Editions with deliveries still queued or sending, oldest first. */
  private openEditions() {
    return this.db.kysely
      .selectFrom('editions')
      .selectAll()
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
      .orderBy('id', 'asc');
  }

  async get(id: string): Promise<Edition | null> {
    return (await this.db.run('reading an edition', () => this.db.kysely.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst())) ?? null;
  }

  async list(schedule?: string): Promise<EditionSummary[]> {
    return this.db.run('listing editions', () => this.listOnce({ schedule }));
  }

  async summary(id: string): Promise<EditionSummary | null> {
    return (await this.db.run('reading an edition', () => this.listOnce({ id })))[0] ?? null;
  }

  private async listOnce(filter: { schedule?: string | undefined; id?: string }): Promise<EditionSummary[]> {
    const { schedule, id } = filter;
    const db = this.db.kysely;
    let q = db
      .selectFrom('editions')
      .select(['id', 'schedule', 'createdAt', 'since', 'until', 'subject', 'itemCount', 'shownCount', 'recipientCount'])
      .orderBy('until', 'desc')
      .orderBy('id', 'desc');
    if (schedule) q = q.where('schedule', '=', schedule);
    if (id !== undefined) q = q.where('id', '=', id);
    const rows = await q.execute();
    const counts = new Map<string, DeliveryCounts>();
    let cq = db
      .selectFrom('deliveries')
      .innerJoin('editions', 'editions.id', 'deliveries.editionId')
      .select(['deliveries.editionId as id', 'deliveries.state as state', (eb) => eb.fn.countAll<Count>().as('n')])
      .groupBy(['deliveries.editionId', 'deliveries.state']);
    if (schedule) cq = cq.where('editions.schedule', '=', schedule);
    if (id !== undefined) cq = cq.where('deliveries.editionId', '=', id);
    for (const c of await cq.execute()) {
      const k = counts.get(c.id) ?? emptyCounts();
      k[c.state] = Number(c.n);
      counts.set(c.id, k);
    }
    return rows.map((r) => ({ ...r, counts: counts.get(r.id) ?? emptyCounts() }));
  }

  async items(id: string): Promise<string[]> {
    const rows = await this.db.run('reading an edition\'s items', () =>
      this.db.kysely.selectFrom('editionItems').select('itemId').where('editionId', '=', id).orderBy('position').execute(),
    );
    return rows.map((r) => r.itemId);
  }

  async freeze(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition> {
    return this.db.write(async (trx) => {
      // The lease keeps two runs of a schedule from planning at once; should one
      // have lost it unawares (a stall longer than the lease), the edition it
      // planned covers what another run has frozen since: refuse it.
      const newer = await trx
        .selectFrom('editions')
        .select('id')
        .where('schedule', '=', edition.schedule)
        .where('until', '>', edition.since)
        .executeTakeFirst();
      if (newer) throw new BusyError(`edition ${newer.id} of ${edition.schedule} was frozen by another run meanwhile; nothing frozen`);
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
    }, 'freezing the edition');
  }

  async open(): Promise<Edition[]> {
    return this.db.run('reading open editions', () => this.openEditions().execute());
  }

  async requeueAbandoned(editionId: string, now: Date, isDead: (claimant: string) => boolean): Promise<number> {
    return this.db.write(async (trx) => {
      const claimants = await trx
        .selectFrom('deliveries')
        .select('claimedBy')
        .distinct()
        .where('editionId', '=', editionId)
        .where('state', '=', 'sending')
        .execute();
      const dead = claimants.map((r) => r.claimedBy).filter((c): c is string => c !== null && isDead(c));
      const r = await trx
        .updateTable('deliveries')
        .set({ state: 'queued', claimedBy: null, claimedUntil: null, updatedAt: now.toISOString() })
        .where('editionId', '=', editionId)
        .where('state', '=', 'sending')
        .where((eb) => {
          // A claim from before claims expired (null) counts as run out.
          const ran = eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<', now.toISOString())]);
          return dead.length > 0 ? eb.or([ran, eb('claimedBy', 'in', dead)]) : ran;
        })
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    }, 'requeueing abandoned deliveries');
  }

  async claim(editionId: string, claimant: string, now: Date, limit: number, claimedUntil: Date): Promise<Delivery[]> {
    // A batch can turn out to be all subscribers who left: claim again until
    // there is someone to send to, or nothing is due.
    for (;;) {
      const { due, claimed } = await this.db.write((trx) => this.claimOnce(trx, editionId, claimant, now, limit, claimedUntil), 'claiming deliveries');
      if (claimed.length > 0 || due === 0) return claimed;
    }
  }

  private async claimOnce(
    trx: Kysely<Database>,
    editionId: string,
    claimant: string,
    now: Date,
    limit: number,
    claimedUntil: Date,
  ): Promise<{ due: number; claimed: Delivery[] }> {
    const at = now.toISOString();
    // Claims that ran out first (a worker died or stalled with them), then the queue.
    const due: string[] = [];
    for (const pick of ['expired', 'queued'] as const) {
      if (due.length >= limit) break;
      let q = trx
        .selectFrom('deliveries')
        .select('subscriberId')
        .where('editionId', '=', editionId)
        .orderBy('subscriberId')
        .limit(limit - due.length);
      q =
        pick === 'expired'
          ? q.where('state', '=', 'sending').where('claimedUntil', '<', at)
          : q.where('state', '=', 'queued').where((eb) => eb.or([eb('nextAttemptAt', 'is', null), eb('nextAttemptAt', '<=', at)]));
      // PostgreSQL: rows another worker is claiming right now are passed over,
      // not waited for (SQLite's write lock serialises claims anyway).
      if (this.db.lock.rowLocks) q = q.forUpdate().skipLocked();
      for (const r of await q.execute()) due.push(r.subscriberId);
    }
    if (due.length === 0) return { due: 0, claimed: [] };
    // The due rows are this transaction's: SQLite holds the database's write
    // lock since the SELECT, PostgreSQL the rows' locks (and re-checks them
    // against its WHERE before locking). So they are updated by primary key
    // alone; a condition on state would make SQLite search by the very index
    // this changes, many times slower.
    const rows = await trx
      .updateTable('deliveries')
      .set({ state: 'sending', claimedBy: claimant, claimedUntil: claimedUntil.toISOString(), updatedAt: at })
      .where('editionId', '=', editionId)
      .where('subscriberId', 'in', due)
      .returning(DELIVERY_COLUMNS)
      .execute();
    if (rows.length === 0) return { due: due.length, claimed: [] };
    // Whoever left since the edition was frozen gets nothing more; only this batch is looked at.
    const gone = new Set(
      (
        await trx
          .selectFrom('subscribers')
          .select('id')
          .where('id', 'in', rows.map((r) => r.subscriberId))
          .where('status', '!=', 'active')
          .execute()
      ).map((r) => r.id),
    );
    if (gone.size > 0) {
      await trx
        .updateTable('deliveries')
        // A failure's answer, if this delivery had one before a retry, is kept.
        .set((eb) => ({
          state: 'skipped',
          lastResponse: eb.fn.coalesce('lastResponse', eb.val('not sent: the subscriber is no longer active')),
          claimedBy: null,
          claimedUntil: null,
          updatedAt: at,
        }))
        .where('editionId', '=', editionId)
        .where('subscriberId', 'in', [...gone])
        .execute();
    }
    const claimed = rows.filter((r) => !gone.has(r.subscriberId)).sort((a, b) => (a.subscriberId < b.subscriberId ? -1 : 1));
    return { due: due.length, claimed };
  }

  async renewClaims(editionId: string, claimant: string, claimedUntil: Date, subscriberIds: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    // Only the deliveries the run has in hand: a claim it lost track of (a
    // claim retried after its COMMIT's answer was lost) runs out and goes to
    // whoever claims next, instead of being renewed for ever.
    for (const ids of chunks(subscriberIds, 500)) {
      const rows = await this.db.run('renewing claims', () =>
        this.db.kysely
          .updateTable('deliveries')
          .set({ claimedUntil: claimedUntil.toISOString() })
          .where('editionId', '=', editionId)
          // The (edition_id, state, subscriber_id) index; claimed_by is set only while `sending` (see record).
          .where('state', '=', 'sending')
          .where('subscriberId', 'in', ids)
          .where('claimedBy', '=', claimant)
          .returning('subscriberId')
          .execute(),
      );
      for (const r of rows) held.add(r.subscriberId);
    }
    return held;
  }

  async record(editionId: string, claimant: string, answers: Answer[], now: Date): Promise<Set<string>> {
    if (answers.length === 0) return new Set();
    const at = now.toISOString();
    const recorded = new Set<string>();
    for (const part of chunks(answers, 100)) {
      // One statement per batch of answers, the same in both dialects: each
      // column set by a CASE over the subscriber ids. The rows are found by
      // primary key; claimed_by is set only while a delivery is `sending`, so
      // it alone says the claimant still holds it (a condition on state would
      // make SQLite search by the state index it is changing, many times slower).
      const ids = part.map((a) => a.subscriberId);
      const byId = (value: (a: Answer) => string | null) =>
        sql`case subscriber_id ${sql.join(part.map((a) => sql`when ${a.subscriberId} then ${value(a)}`), sql` `)} end`;
      const { rows } = await this.db.run('recording deliveries', () =>
        sql<{ id: string }>`
          update deliveries set
            state = ${byId((a) => a.outcome.state)},
            last_response = ${byId((a) => a.outcome.response.slice(0, 1000))},
            next_attempt_at = ${byId((a) => (a.outcome.state === 'queued' ? a.outcome.nextAttemptAt : null))},
            sent_at = ${byId((a) => (a.outcome.state === 'sent' ? at : null))},
            attempts = attempts + 1,
            claimed_by = null,
            claimed_until = null,
            updated_at = ${at}
          where edition_id = ${editionId}
            and subscriber_id in (${sql.join(ids)})
            and claimed_by = ${claimant}
          returning subscriber_id as id`.execute(this.db.kysely),
      );
      for (const r of rows) recorded.add(r.id);
    }
    return recorded;
  }

  async release(editionId: string, claimant: string, subscriberIds: string[], now: Date): Promise<void> {
    for (const part of chunks(subscriberIds)) {
      await this.db.run('releasing deliveries', () =>
        this.db.kysely
          .updateTable('deliveries')
          .set({ state: 'queued', claimedBy: null, claimedUntil: null, updatedAt: now.toISOString() })
          .where('editionId', '=', editionId)
          .where('subscriberId', 'in', part)
          // Set only while `sending`: see record.
          .where('claimedBy', '=', claimant)
          .execute(),
      );
    }
  }

  async nextWork(editionId: string): Promise<string | null> {
    const row = await this.db.run('reading the next retry', () =>
      this.db.kysely
        .selectFrom('deliveries')
        .select((eb) => [
          eb.fn.min('nextAttemptAt').filterWhere('state', '=', 'queued').as('retry'),
          eb.fn.min('claimedUntil').filterWhere('state', '=', 'sending').as('expiry'),
          eb.fn.countAll<Count>().as('open'),
        ])
        .where('editionId', '=', editionId)
        .where('state', 'in', ['queued', 'sending'])
        .executeTakeFirst(),
    );
    if (!row || Number(row.open) === 0) return null;
    // A queued delivery without a retry time is due now.
    const times = [row.retry, row.expiry].filter((t): t is string => typeof t === 'string');
    return times.length === 0 ? new Date(0).toISOString() : times.sort()[0]!;
  }

  async counts(editionId: string): Promise<DeliveryCounts> {
    const rows = await this.db.run('counting deliveries', () =>
      this.db.kysely
        .selectFrom('deliveries')
        .select(['state', (eb) => eb.fn.countAll<Count>().as('n')])
        .where('editionId', '=', editionId)
        .groupBy('state')
        .execute(),
    );
    const counts = emptyCounts();
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  async requeueFailed(editionId: string, now: Date): Promise<Requeued> {
    return this.db.write(async (trx) => {
      // Only failures of subscribers still active go out again: a bounced
      // address stays failed with the answer that bounced it, rather than
      // being tried again or turning into a "skipped" that hides the failure.
      const r = await trx
        .updateTable('deliveries')
        .set({ state: 'queued', attempts: 0, nextAttemptAt: null, claimedBy: null, claimedUntil: null, updatedAt: now.toISOString() })
        .where('editionId', '=', editionId)
        .where('state', '=', 'failed')
        .where('subscriberId', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('status', '=', 'active'))
        .executeTakeFirst();
      const { n } = await trx
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<Count>().as('n'))
        .where('editionId', '=', editionId)
        .where('state', '=', 'failed')
        .executeTakeFirstOrThrow();
      return { requeued: Number(r.numUpdatedRows), kept: Number(n) };
    }, 'requeueing failed deliveries');
  }

  async *failures(editionId: string, batchSize = 500): AsyncGenerator<DeliveryFailure[]> {
    let after = '';
    for (;;) {
      const rows = await this.db.run('reading failed deliveries', () =>
        this.db.kysely
          .selectFrom('deliveries')
          .leftJoin('subscribers', 'subscribers.id', 'deliveries.subscriberId')
          .select([
            'deliveries.email as email',
            'deliveries.name as name',
            'deliveries.attempts as attempts',
            'deliveries.lastResponse as lastResponse',
            'deliveries.updatedAt as at',
            'subscribers.status as subscriberStatus',
          ])
          .where('deliveries.editionId', '=', editionId)
          .where('deliveries.state', '=', 'failed')
          .where('deliveries.email', '>', after)
          .orderBy('deliveries.email')
          .limit(batchSize)
          .execute(),
      );
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < batchSize) return;
      after = rows.at(-1)!.email;
    }
  }
}
