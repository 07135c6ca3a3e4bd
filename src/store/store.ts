// The store: the only module that writes state. One implementation over
// Kysely serves both dialects; open.ts picks the dialect.
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

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

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
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

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
