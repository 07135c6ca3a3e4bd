// The one place that picks SQLite or PostgreSQL. Everything else gets a
// Store: one narrow store per domain, each declared by the module that uses
// it and implemented once, over Kysely, for both dialects.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, type LogEvent, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { ItemStore } from '../corpus/history.ts';
import { StoreError } from '../errors.ts';
import type { EditionStore, LeaseStore, RateStore, WorkerStore } from '../send/store.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import { Db, type FailureKind, type Faults, type Locking } from './db.ts';
import { SqlEditionStore } from './editions.ts';
import { SqlItemStore } from './items.ts';
import { SqlLeaseStore } from './leases.ts';
import { SqlRateStore } from './rates.ts';
import { SqlWorkerStore } from './workers.ts';
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
  /** Who is delivering now. */
  workers: WorkerStore;
  /** Rate limits every worker shares. */
  rates: RateStore;
  /** Statements run so far and the time they took: what the store costs a send (reported per message). */
  stats(): StoreStats;
  close(): Promise<void>;
}

export interface StoreStats {
  queries: number;
  ms: number;
}

/** Counts every statement Kysely runs and its duration (Kysely's log hook: a counter, no logging). */
function counting(): { stats: StoreStats; log: (event: LogEvent) => void } {
  const stats = { queries: 0, ms: 0 };
  return {
    stats,
    log: (event) => {
      stats.queries++;
      stats.ms += event.queryDurationMillis;
    },
  };
}

function storeOver(kysely: Kysely<Database>, lock: Locking, faults: Faults, stats: StoreStats): Store {
  const db = new Db(kysely, lock, faults);
  return {
    items: new SqlItemStore(db),
    subscribers: new SqlSubscriberStore(db),
    editions: new SqlEditionStore(db),
    leases: new SqlLeaseStore(db),
    workers: new SqlWorkerStore(db),
    rates: new SqlRateStore(db),
    stats: () => ({ ...stats }),
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
  jsonRows: (json) => sql`json_each(${json})`,
};

const POSTGRES: Locking = {
  begin: async (db) => void (await sql`begin`.execute(db)),
  // Transaction-scoped advisory locks, one per kind of writer (migrations,
  // sources, items), released at commit.
  serialize: async (db, key) => void (await sql`select pg_advisory_xact_lock(hashtext(${`broadsheet:${key}`}))`.execute(db)),
  rowLocks: true,
  jsonRows: (json) => sql`json_array_elements(${json}::json) as j(value)`,
};

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SQLite: the disk or the file is the problem (full, read-only, damaged, locked for longer than busy_timeout). */
function classifySqlite(err: unknown): FailureKind | null {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PERM|NOMEM|BUSY|LOCKED)/.test(code) ? 'unavailable' : null;
}

/** Network failures of the connection to PostgreSQL itself. */
const LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * PostgreSQL: a lost connection (class 08, a terminated backend 57P01/57P02,
 * a server starting up 57P03, the pool's own "Connection terminated") or a
 * lost race (40001 serialization, 40P01 deadlock) is worth another try on a
 * fresh connection; a full disk (53100), memory (53200) or a read-only
 * standby (25006) is not.
 */
function classifyPostgres(err: unknown): FailureKind | null {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '40001', '40P01', '53300'].includes(code) || LOST.has(code)) return 'transient';
  if (['53100', '53200', '25006'].includes(code)) return 'unavailable';
  if (typeof e?.message === 'string' && /Connection terminated|not queryable|Connection ended|timeout exceeded when trying to connect/i.test(e.message)) return 'transient';
  return null;
}

/**
 * Kysely's SQLite driver prepares every statement it runs; preparing costs
 * more than running the small statements a send repeats thousands of times
 * (claims, recorded answers). Statements are kept by their SQL text, the
 * least recently used dropped past `size`. Safe because better-sqlite3 runs
 * a statement to completion before the next one starts (Kysely's streaming,
 * which would hold one open, is not used).
 */
function withStatementCache(db: SQLite.Database, size = 200): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = db.prepare(source);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  };
  return new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') return prepare;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Opens the store and applies pending migrations. */
export async function openStore(loc: StoreLocation, now: () => Date): Promise<Store> {
  if (loc.databaseUrl) {
    // Loaded only for PostgreSQL: SQLite users never pay for the driver.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: loc.databaseUrl,
      max: 10,
      // Seen in pg_stat_activity; an application_name in DATABASE_URL wins.
      fallback_application_name: 'broadsheet',
      // A database that does not answer is as good as down: the statement fails (and is retried) instead of hanging.
      connectionTimeoutMillis: 10_000,
      ...(loc.pgSchema ? { options: `-c search_path=${loc.pgSchema}` } : {}),
    });
    // A connection the server ends (pg_terminate_backend, a restart, a
    // failover) emits 'error' on its client and, when idle, on the pool; an
    // 'error' event nobody listens to would end the process. The pool drops
    // the broken client either way, and the statement that was using it
    // fails and is retried on a fresh one (Db.run), so here it is only noted.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const count = counting();
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins, log: count.log });
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
    return storeOver(db, POSTGRES, { where: describeLocation(loc), classify: classifyPostgres, pause }, count.stats);
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
  const count = counting();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), plugins, log: count.log });
  try {
    await migrate(db, SQLITE, now);
  } catch (err) {
    await db.destroy();
    throw new StoreError(`${loc.sqlitePath}: error: cannot migrate the database: ${(err as Error).message}`, { cause: err });
  }
  return storeOver(db, SQLITE, { where: loc.sqlitePath, classify: classifySqlite, pause }, count.stats);
}
