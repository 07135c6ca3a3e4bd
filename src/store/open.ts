// The one place that picks SQLite or PostgreSQL. Everything else gets a
// Store: one narrow store per domain, each declared by the module that uses
// it and implemented once, over Kysely, for both dialects.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { ItemStore } from '../corpus/history.ts';
import { StoreError } from '../errors.ts';
import type { EditionStore, LeaseStore } from '../send/store.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import { Db, type Locking } from './db.ts';
import { SqlEditionStore } from './editions.ts';
import { SqlItemStore } from './items.ts';
import { SqlLeaseStore } from './leases.ts';
import { migrate } from './migrations.ts';
import type { Database } from './schema.ts';
import { SqlSubscriberStore } from './subscribers.ts';

export interface Store {
  /** Sources and items: the corpus stage's history. */
  items: ItemStore;
  subscribers: SubscriberStore;
  /** Editions and their deliveries. */
  editions: EditionStore;
  leases: LeaseStore;
  close(): Promise<void>;
}

function storeOver(kysely: Kysely<Database>, lock: Locking): Store {
  const db = new Db(kysely, lock);
  return {
    items: new SqlItemStore(db),
    subscribers: new SqlSubscriberStore(db),
    editions: new SqlEditionStore(db),
    leases: new SqlLeaseStore(db),
    close: () => kysely.destroy(),
  };
}

/** snake_case columns in the database, camelCase in TypeScript. */
const plugins = [new CamelCasePlugin()];

export interface StoreLocation {
  /** `postgres://…` (env DATABASE_URL); when unset, SQLite at sqlitePath. */
  databaseUrl?: string | undefined;
  /** SQLite file (env BROADSHEET_DB; default data/broadsheet.db). */
  sqlitePath: string;
  /** PostgreSQL only: the schema to use (tests get a fresh one each). */
  pgSchema?: string;
}

/** A name for logs that never shows a password. */
export function describeLocation(loc: StoreLocation): string {
  if (!loc.databaseUrl) return `SQLite ${loc.sqlitePath}`;
  try {
    const u = new URL(loc.databaseUrl);
    return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

const SQLITE: Locking = {
  // IMMEDIATE takes the database's write lock at once: writers queue on
  // busy_timeout instead of failing when a read turns into a write, and
  // every write transaction is serialised with every other.
  begin: async (db) => void (await sql`begin immediate`.execute(db)),
  serialize: async () => undefined,
  rowLocks: false,
};

const POSTGRES: Locking = {
  begin: async (db) => void (await sql`begin`.execute(db)),
  // Transaction-scoped advisory locks, one per kind of writer (migrations,
  // sources, items), released at commit.
  serialize: async (db, key) => void (await sql`select pg_advisory_xact_lock(hashtext(${`broadsheet:${key}`}))`.execute(db)),
  rowLocks: true,
};

/** Opens the store and applies pending migrations. */
export async function openStore(loc: StoreLocation, now: () => Date): Promise<Store> {
  if (loc.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: loc.databaseUrl,
      max: 10,
      ...(loc.pgSchema ? { options: `-c search_path=${loc.pgSchema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    try {
      if (loc.pgSchema) {
        // Two processes racing on IF NOT EXISTS can still collide; the schema exists either way.
        await sql`create schema if not exists ${sql.id(loc.pgSchema)}`.execute(db).catch((err: { code?: string }) => {
          if (err.code !== '23505' && err.code !== '42P06') throw err;
        });
      }
      await migrate(db, POSTGRES, now);
    } catch (err) {
      await db.destroy();
      throw new StoreError(`${describeLocation(loc)}: error: cannot open the database: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return storeOver(db, POSTGRES);
  }

  let sqlite: SQLite.Database;
  try {
    mkdirSync(path.dirname(path.resolve(loc.sqlitePath)), { recursive: true });
    sqlite = new SQLite(loc.sqlitePath);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    throw new StoreError(`${loc.sqlitePath}: error: cannot open the SQLite database: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), plugins });
  try {
    await migrate(db, SQLITE, now);
  } catch (err) {
    await db.destroy();
    throw new StoreError(`${loc.sqlitePath}: error: cannot migrate the database: ${(err as Error).message}`, { cause: err });
  }
  return storeOver(db, SQLITE);
}
