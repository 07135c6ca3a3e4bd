// Sources and items: what the corpus stage records about each reading of the
// articles (corpus/history.ts owns the interface).
import type { ItemRecord, ItemStore } from '../corpus/history.ts';
import type { ItemState } from '../model.ts';
import { sql } from 'kysely';
import { type Db, chunks } from './db.ts';
import type { ItemsTable } from './schema.ts';

type ItemRow = Pick<ItemsTable, 'id' | 'hash' | 'firstSeen' | 'lastChanged' | 'removedAt'>;

/**
 * What a reading changes about items: new ones are first seen now, changed
 * ones changed now, missing ones removed now; one that comes back keeps its
 * first-seen moment (it is not news again).
 */
function diffItems(rows: ItemRow[], items: ItemRecord[], at: string) {
  const existing = new Map(rows.map((r) => [r.id, r]));
  const inserts: ItemsTable[] = [];
  const updates: Array<Partial<ItemsTable> & { id: string }> = [];
  const states = new Map<string, ItemState>();
  for (const item of items) {
    const row = existing.get(item.id);
    if (!row) {
      // Spelled out: V8 builds `{ ...item, firstSeen, … }` (a spread, then more properties) ten times slower; a first build inserts 10,000.
      inserts.push({ id: item.id, source: item.source, hash: item.hash, title: item.title, published: item.published, firstSeen: at, lastChanged: null, removedAt: null });
      states.set(item.id, { id: item.id, firstSeen: at, lastChanged: null });
      continue;
    }
    existing.delete(item.id);
    const changed = row.hash !== item.hash;
    if (changed || row.removedAt !== null) {
      updates.push({ ...item, removedAt: null, ...(changed ? { lastChanged: at } : {}) });
    }
    states.set(item.id, { id: item.id, firstSeen: row.firstSeen, lastChanged: changed ? at : row.lastChanged });
  }
  const removed = [...existing.values()].filter((r) => r.removedAt === null).map((r) => r.id);
  return { inserts, updates, removed, states };
}

const ITEM_COLUMNS = ['id', 'source', 'hash', 'title', 'published', 'first_seen', 'last_changed', 'removed_at'] as const;

/** An items row as its columns name it (the query builder's CamelCasePlugin does not see raw SQL). */
function snakeRow(r: ItemsTable): Record<(typeof ITEM_COLUMNS)[number], string | null> {
  return { id: r.id, source: r.source, hash: r.hash, title: r.title, published: r.published, first_seen: r.firstSeen, last_changed: r.lastChanged, removed_at: r.removedAt };
}

export class SqlItemStore implements ItemStore {
  constructor(private readonly db: Db) {}

  async sourcesFirstSeen(): Promise<Map<string, string>> {
    const rows = await this.db.kysely.selectFrom('sources').select(['path', 'firstSeen']).execute();
    return new Map(rows.map((r) => [r.path, r.firstSeen]));
  }

  async recordSources(paths: string[], now: Date): Promise<Map<string, string>> {
    const known = await this.sourcesFirstSeen();
    const fresh = paths.filter((p) => !known.has(p));
    if (fresh.length === 0) return known;
    const at = now.toISOString();
    await this.db.write(async (trx) => {
      await this.db.lock.serialize(trx, 'sources');
      // One statement with the rows as one JSON parameter: a first build records 10,000.
      const rows = this.db.lock.jsonRows(JSON.stringify(fresh.map((p) => ({ path: p, first_seen: at }))));
      await sql`insert into sources (path, first_seen) select value ->> 'path', value ->> 'first_seen' from ${rows} where true on conflict (path) do nothing`.execute(trx);
    });
    return this.sourcesFirstSeen();
  }

  async syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>> {
    return this.db.write(async (trx) => {
      // Two readings at once (a send and the server's rebuild) take turns.
      await this.db.lock.serialize(trx, 'items');
      const at = now.toISOString();
      const diff = diffItems(await this.rows(trx), items, at);
      if (diff.inserts.length > 0) {
        // One statement with the rows as one JSON parameter: a first build inserts 10,000.
        const rows = this.db.lock.jsonRows(JSON.stringify(diff.inserts.map(snakeRow)));
        await sql`insert into items (${sql.join(ITEM_COLUMNS.map((c) => sql.ref(c)))}) select ${sql.join(ITEM_COLUMNS.map((c) => sql`value ->> ${c}`))} from ${rows}`.execute(trx);
      }
      await this.update(trx, diff.updates);
      for (const batch of chunks(diff.removed)) {
        await trx.updateTable('items').set({ removedAt: at }).where('id', 'in', batch).execute();
      }
      return diff.states;
    });
  }

  async previewItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>> {
    return diffItems(await this.rows(this.db.kysely), items, now.toISOString()).states;
  }

  async sourcesFirstSeenOf(paths: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const batch of chunks(paths)) {
      const rows = await this.db.kysely.selectFrom('sources').select(['path', 'firstSeen']).where('path', 'in', batch).execute();
      for (const r of rows) out.set(r.path, r.firstSeen);
    }
    return out;
  }

  async updateItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState> | null> {
    if (items.length === 0) return new Map();
    return this.db.write(async (trx) => {
      await this.db.lock.serialize(trx, 'items');
      const rows: Array<ItemRow & { source: string }> = [];
      for (const batch of chunks(items.map((i) => i.id))) {
        rows.push(...(await trx.selectFrom('items').select(['id', 'source', 'hash', 'firstSeen', 'lastChanged', 'removedAt']).where('id', 'in', batch).execute()));
      }
      // Each must be on the site as recorded, from the same source (not an article whose id another source took).
      const sourceOf = new Map(items.map((i) => [i.id, i.source]));
      if (rows.length !== items.length || rows.some((r) => r.removedAt !== null || r.source !== sourceOf.get(r.id))) return null;
      // The same diff as a whole reading's, over these rows: none is new or missing, so it only updates.
      const diff = diffItems(rows, items, now.toISOString());
      await this.update(trx, diff.updates);
      return diff.states;
    });
  }

  /** Writes what a diff changes in rows that exist. */
  private async update(trx: Db['kysely'], updates: ReturnType<typeof diffItems>['updates']): Promise<void> {
    for (const { id, ...set } of updates) await trx.updateTable('items').set(set).where('id', '=', id).execute();
  }

  private rows(db: Db['kysely']) {
    return db.selectFrom('items').select(['id', 'hash', 'firstSeen', 'lastChanged', 'removedAt']).execute();
  }
}
