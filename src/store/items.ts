// Sources and items: what the corpus stage records about each reading of the
// articles (corpus/history.ts owns the interface).
import type { ItemRecord, ItemStore } from '../corpus/history.ts';
import type { ItemState } from '../model.ts';
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
      for (const batch of chunks(fresh)) {
        await trx
          .insertInto('sources')
          .values(batch.map((p) => ({ path: p, firstSeen: at })))
          .onConflict((oc) => oc.column('path').doNothing())
          .execute();
      }
    });
    return this.sourcesFirstSeen();
  }

  async syncItems(items: ItemRecord[], now: Date): Promise<Map<string, ItemState>> {
    return this.db.write(async (trx) => {
      // Two readings at once (a send and the server's rebuild) take turns.
      await this.db.lock.serialize(trx, 'items');
      const at = now.toISOString();
      const diff = diffItems(await this.rows(trx), items, at);
      for (const batch of chunks(diff.inserts)) await trx.insertInto('items').values(batch).execute();
      for (const u of diff.updates) {
        const { id, ...set } = u;
        await trx.updateTable('items').set(set).where('id', '=', id).execute();
      }
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
      const rows: ItemRow[] = [];
      for (const batch of chunks(items.map((i) => i.id))) rows.push(...(await this.rows(trx, batch)));
      if (rows.length !== items.length || rows.some((r) => r.removedAt !== null)) return null;
      // The same diff as a whole reading's, over these rows: none is new or missing, so it only updates.
      const diff = diffItems(rows, items, now.toISOString());
      for (const u of diff.updates) {
        const { id, ...set } = u;
        await trx.updateTable('items').set(set).where('id', '=', id).execute();
      }
      return diff.states;
    });
  }

  private rows(db: Db['kysely'], ids?: string[]) {
    const all = db.selectFrom('items').select(['id', 'hash', 'firstSeen', 'lastChanged', 'removedAt']);
    return (ids ? all.where('id', 'in', ids) : all).execute();
  }
}
