// The store: the only module that writes state. One implementation over
// Kysely serves both dialects; open.ts picks the dialect.
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Decision, Subscriber } from '../subscribers/lifecycle.ts';
import type { Database, DeliveriesTable, DeliveryState, EditionsTable, SubscriberStatus, SubscribersTable } from './schema.ts';

/**
 * What differs between the dialects when writing: decided in open.ts, used
 * here without asking which dialect it is.
 */
export interface Locking {
  /** Starts a write transaction. */
  begin(db: Kysely<any>): Promise<void>;
  /** Inside a transaction: waits until no other transaction holds `key` (until commit). */
  serialize(db: Kysely<any>, key: string): Promise<void>;
  /** Whether SELECT … FOR UPDATE locks rows (PostgreSQL); SQLite locks the whole database instead. */
  rowLocks: boolean;
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

export interface Edition {
  id: string;
  schedule: string;
  createdAt: string;
  since: string;
  until: string;
  subject: string;
  html: string;
  text: string;
  nonce: string;
  itemCount: number;
  shownCount: number;
  recipientCount: number;
}

export type NewEdition = Omit<Edition, 'recipientCount'>;

export interface Delivery {
  editionId: string;
  subscriberId: string;
  email: string;
  name: string | null;
  state: DeliveryState;
  attempts: number;
  lastResponse: string | null;
  messageId: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
}

export type DeliveryCounts = Record<DeliveryState, number>;

/** What a send learned about one delivery. */
export type DeliveryOutcome =
  | { state: 'sent'; response: string }
  | { state: 'queued'; response: string; nextAttemptAt: string }
  | { state: 'failed'; response: string };

export interface EditionSummary extends Omit<Edition, 'html' | 'text' | 'nonce'> {
  counts: DeliveryCounts;
}

export interface Store {
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

  /** The schedule's newest edition, if any. */
  lastEdition(schedule: string): Promise<Edition | null>;
  /** The schedule's oldest edition with deliveries still queued or sending. */
  unfinishedEdition(schedule: string): Promise<Edition | null>;
  getEdition(id: string): Promise<Edition | null>;
  /** Editions, newest first, with their delivery counts. */
  listEditions(schedule?: string): Promise<EditionSummary[]>;
  /** The item ids of an edition, in order. */
  editionItems(id: string): Promise<string[]>;
  /**
   * Freezes an edition in one transaction: the edition, its items, and one
   * queued delivery for every active subscriber of the schedule at this moment.
   */
  freezeEdition(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition>;
  /** Deliveries left `sending` by a run that died go back to `queued`. */
  requeueInFlight(editionId: string, now: Date): Promise<number>;
  /**
   * Takes up to `limit` queued deliveries that are due, marks them
   * `sending` for `claimant`, counts the attempt. Deliveries to subscribers
   * no longer active (unsubscribed or bounced since the edition was frozen)
   * become `skipped` instead.
   */
  claimDeliveries(editionId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]>;
  /** Records the answer for a delivery this claimant holds; false if it no longer holds it. */
  recordDelivery(editionId: string, subscriberId: string, claimant: string, outcome: DeliveryOutcome, now: Date): Promise<boolean>;
  /** A claimed delivery that was never attempted goes back to the queue, its attempt uncounted. */
  releaseDelivery(editionId: string, subscriberId: string, claimant: string, now: Date): Promise<void>;
  /** The earliest retry time among queued deliveries, or null when none waits. */
  nextRetryAt(editionId: string): Promise<string | null>;
  deliveryCounts(editionId: string): Promise<DeliveryCounts>;
  /** Puts an edition's failed deliveries back in the queue, attempts reset. */
  requeueFailed(editionId: string, now: Date): Promise<number>;
  /**
   * Takes the named lease until `expiresAt`, if it is free, expired, already
   * ours, or its holder is known dead (`isDead`). Returns whether we hold it.
   * Atomic in both dialects: a compare-and-set on the row we saw.
   */
  acquireLease(name: string, holder: string, now: Date, expiresAt: Date, isDead: (holder: string) => boolean): Promise<boolean>;
  /** Extends a lease we hold; false if it was lost. */
  renewLease(name: string, holder: string, expiresAt: Date): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds a lease and until when, if anyone. */
  leaseHolder(name: string): Promise<{ holder: string; expiresAt: string } | null>;
  /** First-seen moments of every source ever seen, by path relative to the articles folder. */
  sourcesFirstSeen(): Promise<Map<string, string>>;
  /** Records sources not seen before as first seen now; returns every source's first-seen moment. */
  recordSources(paths: string[], now: Date): Promise<Map<string, string>>;
  /**
   * Records the articles of a build: new ones are first seen now, changed
   * ones changed now, missing ones removed now. Returns the state of each.
   */
  syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
  /** What syncItems would return, without changing anything. */
  previewItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>>;
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
    private readonly lock: Locking,
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
        await this.lock.serialize(trx, 'sources');
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
    return this.write(async (trx) => {
      // Two builds at once (a send and the server's rebuild) take turns.
      await this.lock.serialize(trx, 'items');
      const diff = diffItems(await this.itemRows(trx), items, now.toISOString());
      for (const batch of chunks(diff.inserts)) await trx.insertInto('items').values(batch).execute();
      for (const u of diff.updates) {
        const { id, ...set } = u;
        await trx.updateTable('items').set(set).where('id', '=', id).execute();
      }
      for (const batch of chunks(diff.removed)) {
        await trx.updateTable('items').set({ removed_at: now.toISOString() }).where('id', 'in', batch).execute();
      }
      return diff.states;
    });
  }

  async previewItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>> {
    return diffItems(await this.itemRows(this.db), items, now.toISOString()).states;
  }

  private itemRows(db: Kysely<Database>) {
    return db.selectFrom('items').select(['id', 'hash', 'first_seen', 'last_changed', 'removed_at']).execute();
  }

  async changeSubscriber<T>(key: SubscriberKey, decide: (current: Subscriber | null) => Decision<T>): Promise<T> {
    return this.retryOnConflict(() =>
      this.write(async (trx) => {
        const row = await this.selectSubscriber(trx, key, true);
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
          let q = trx.selectFrom('subscribers').selectAll().where('email', 'in', batch);
          if (this.lock.rowLocks) q = q.forUpdate();
          const rows = await q.execute();
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

  async lastEdition(schedule: string): Promise<Edition | null> {
    const row = await this.db.selectFrom('editions').selectAll().where('schedule', '=', schedule).orderBy('until', 'desc').orderBy('id', 'desc').executeTakeFirst();
    return row ? editionOf(row) : null;
  }

  async unfinishedEdition(schedule: string): Promise<Edition | null> {
    const row = await this.db
      .selectFrom('editions')
      .selectAll()
      .where('schedule', '=', schedule)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('deliveries')
            .select('deliveries.edition_id')
            .whereRef('deliveries.edition_id', '=', 'editions.id')
            .where('deliveries.state', 'in', ['queued', 'sending']),
        ),
      )
      .orderBy('until', 'asc')
      .executeTakeFirst();
    return row ? editionOf(row) : null;
  }

  async getEdition(id: string): Promise<Edition | null> {
    const row = await this.db.selectFrom('editions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? editionOf(row) : null;
  }

  async listEditions(schedule?: string): Promise<EditionSummary[]> {
    let q = this.db
      .selectFrom('editions')
      .select(['id', 'schedule', 'created_at', 'since', 'until', 'subject', 'item_count', 'shown_count', 'recipient_count'])
      .orderBy('until', 'desc')
      .orderBy('id', 'desc');
    if (schedule) q = q.where('schedule', '=', schedule);
    const rows = await q.execute();
    const counts = new Map<string, DeliveryCounts>();
    let cq = this.db
      .selectFrom('deliveries')
      .innerJoin('editions', 'editions.id', 'deliveries.edition_id')
      .select(['deliveries.edition_id as id', 'deliveries.state as state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy(['deliveries.edition_id', 'deliveries.state']);
    if (schedule) cq = cq.where('editions.schedule', '=', schedule);
    for (const c of await cq.execute()) {
      const k = counts.get(c.id) ?? emptyCounts();
      k[c.state] = Number(c.n);
      counts.set(c.id, k);
    }
    const out: EditionSummary[] = [];
    for (const r of rows) {
      out.push({
        id: r.id,
        schedule: r.schedule,
        createdAt: r.created_at,
        since: r.since,
        until: r.until,
        subject: r.subject,
        itemCount: Number(r.item_count),
        shownCount: Number(r.shown_count),
        recipientCount: Number(r.recipient_count),
        counts: counts.get(r.id) ?? emptyCounts(),
      });
    }
    return out;
  }

  async editionItems(id: string): Promise<string[]> {
    const rows = await this.db.selectFrom('edition_items').select('item_id').where('edition_id', '=', id).orderBy('position').execute();
    return rows.map((r) => r.item_id);
  }

  async freezeEdition(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition> {
    return this.write(async (trx) => {
      await trx
        .insertInto('editions')
        .values({ ...editionRowOf({ ...edition, recipientCount: 0 }) })
        .execute();
      for (const batch of chunks(itemIds.map((item_id, position) => ({ edition_id: edition.id, item_id, position })))) {
        await trx.insertInto('edition_items').values(batch).execute();
      }
      // One statement, however many subscribers: nothing is held in memory,
      // and whoever is active at this moment is exactly who gets the edition.
      const text = (v: string) => sql<string>`cast(${v} as text)`;
      await trx
        .insertInto('deliveries')
        .columns(['edition_id', 'subscriber_id', 'email', 'name', 'state', 'attempts', 'message_id', 'created_at', 'updated_at'])
        .expression(
          trx
            .selectFrom('subscribers')
            .select([
              text(edition.id).as('edition_id'),
              'id',
              'email',
              'name',
              text('queued').as('state'),
              sql<number>`0`.as('attempts'),
              sql<string>`${text(`<${edition.id}.`)} || id || ${text(`@${messageIdDomain}>`)}`.as('message_id'),
              text(edition.createdAt).as('created_at'),
              text(edition.createdAt).as('updated_at'),
            ])
            .where('schedule', '=', edition.schedule)
            .where('status', '=', 'active'),
        )
        .execute();
      const { n } = await trx
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('edition_id', '=', edition.id)
        .executeTakeFirstOrThrow();
      await trx.updateTable('editions').set({ recipient_count: Number(n) }).where('id', '=', edition.id).execute();
      return { ...edition, recipientCount: Number(n) };
    });
  }

  async requeueInFlight(editionId: string, now: Date): Promise<number> {
    const r = await this.db
      .updateTable('deliveries')
      .set({ state: 'queued', claimed_by: null, updated_at: now.toISOString() })
      .where('edition_id', '=', editionId)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async claimDeliveries(editionId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]> {
    const at = now.toISOString();
    return this.write(async (trx) => {
      // Whoever left since the edition was frozen gets nothing more.
      await trx
        .updateTable('deliveries')
        .set({ state: 'skipped', last_response: 'not sent: the subscriber is no longer active', updated_at: at })
        .where('edition_id', '=', editionId)
        .where('state', '=', 'queued')
        .where('subscriber_id', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('status', '!=', 'active'))
        .execute();
      const due = await trx
        .selectFrom('deliveries')
        .select('subscriber_id')
        .where('edition_id', '=', editionId)
        .where('state', '=', 'queued')
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', at)]))
        .orderBy('subscriber_id')
        .limit(limit)
        .execute();
      if (due.length === 0) return [];
      // Compare-and-set: only rows still queued are taken, so two claimants
      // never hold the same delivery, whatever the isolation level.
      const rows = await trx
        .updateTable('deliveries')
        .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1), claimed_by: claimant, updated_at: at }))
        .where('edition_id', '=', editionId)
        .where('state', '=', 'queued')
        .where(
          'subscriber_id',
          'in',
          due.map((r) => r.subscriber_id),
        )
        .returningAll()
        .execute();
      return rows.map(deliveryOf).sort((a, b) => (a.subscriberId < b.subscriberId ? -1 : 1));
    });
  }

  async recordDelivery(editionId: string, subscriberId: string, claimant: string, outcome: DeliveryOutcome, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const r = await this.db
      .updateTable('deliveries')
      .set({
        state: outcome.state,
        last_response: outcome.response.slice(0, 1000),
        updated_at: at,
        claimed_by: null,
        next_attempt_at: outcome.state === 'queued' ? outcome.nextAttemptAt : null,
        ...(outcome.state === 'sent' ? { sent_at: at } : {}),
      })
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', claimant)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async releaseDelivery(editionId: string, subscriberId: string, claimant: string, now: Date): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set((eb) => ({ state: 'queued', attempts: eb('attempts', '-', 1), claimed_by: null, next_attempt_at: null, updated_at: now.toISOString() }))
      .where('edition_id', '=', editionId)
      .where('subscriber_id', '=', subscriberId)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', claimant)
      .execute();
  }

  async nextRetryAt(editionId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('edition_id', '=', editionId)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    return (row?.next as string | null | undefined) ?? null;
  }

  async deliveryCounts(editionId: string): Promise<DeliveryCounts> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('edition_id', '=', editionId)
      .groupBy('state')
      .execute();
    const counts = emptyCounts();
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  async requeueFailed(editionId: string, now: Date): Promise<number> {
    const r = await this.db
      .updateTable('deliveries')
      .set({ state: 'queued', attempts: 0, next_attempt_at: null, claimed_by: null, updated_at: now.toISOString() })
      .where('edition_id', '=', editionId)
      .where('state', '=', 'failed')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async acquireLease(name: string, holder: string, now: Date, expiresAt: Date, isDead: (holder: string) => boolean): Promise<boolean> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) {
      const r = await this.db
        .insertInto('leases')
        .values({ name, holder, expires_at: expiresAt.toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const free = row.holder === holder || row.expires_at <= now.toISOString() || isDead(row.holder);
    if (!free) return false;
    // Compare-and-set on the row as we saw it: of two takers, one wins.
    const r = await this.db
      .updateTable('leases')
      .set({ holder, expires_at: expiresAt.toISOString() })
      .where('name', '=', name)
      .where('holder', '=', row.holder)
      .where('expires_at', '=', row.expires_at)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async renewLease(name: string, holder: string, expiresAt: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('leases')
      .set({ expires_at: expiresAt.toISOString() })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }

  async leaseHolder(name: string): Promise<{ holder: string; expiresAt: string } | null> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { holder: row.holder, expiresAt: row.expires_at } : null;
  }

  /** `forUpdate`: inside a write transaction, lock the row until commit (a no-op where the database is locked whole). */
  private selectSubscriber(db: Kysely<Database>, key: SubscriberKey, forUpdate = false) {
    let q = db.selectFrom('subscribers').selectAll();
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('email', '=', key.email);
    if (forUpdate && this.lock.rowLocks) q = q.forUpdate();
    return q.executeTakeFirst();
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

function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
}

type ItemRow = Pick<Database['items'], 'id' | 'hash' | 'first_seen' | 'last_changed' | 'removed_at'>;

/**
 * What a build changes about items: new ones are first seen now, changed
 * ones changed now, missing ones removed now; one that comes back keeps its
 * first-seen moment (it is not news again).
 */
function diffItems(rows: ItemRow[], items: ItemRecord[], at: string) {
  const existing = new Map(rows.map((r) => [r.id, r]));
  const inserts: Database['items'][] = [];
  const updates: Array<Partial<Database['items']> & { id: string }> = [];
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
      updates.push({ ...item, removed_at: null, ...(changed ? { last_changed: at } : {}) });
    }
    states.set(item.id, { id: item.id, firstSeen: row.first_seen, lastChanged: changed ? at : row.last_changed });
  }
  const removed = [...existing.values()].filter((r) => r.removed_at === null).map((r) => r.id);
  return { inserts, updates, removed, states };
}

function editionOf(r: Selectable<EditionsTable>): Edition {
  return {
    id: r.id,
    schedule: r.schedule,
    createdAt: r.created_at,
    since: r.since,
    until: r.until,
    subject: r.subject,
    html: r.html,
    text: r.text,
    nonce: r.nonce,
    itemCount: Number(r.item_count),
    shownCount: Number(r.shown_count),
    recipientCount: Number(r.recipient_count),
  };
}

function editionRowOf(e: Edition): EditionsTable {
  return {
    id: e.id,
    schedule: e.schedule,
    created_at: e.createdAt,
    since: e.since,
    until: e.until,
    subject: e.subject,
    html: e.html,
    text: e.text,
    nonce: e.nonce,
    item_count: e.itemCount,
    shown_count: e.shownCount,
    recipient_count: e.recipientCount,
  };
}

function deliveryOf(r: Selectable<DeliveriesTable>): Delivery {
  return {
    editionId: r.edition_id,
    subscriberId: r.subscriber_id,
    email: r.email,
    name: r.name,
    state: r.state,
    attempts: Number(r.attempts),
    lastResponse: r.last_response,
    messageId: r.message_id,
    nextAttemptAt: r.next_attempt_at,
    sentAt: r.sent_at,
  };
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
