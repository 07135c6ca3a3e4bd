// What every domain store shares: the Kysely handle, the dialect's way of
// locking, write transactions, and what a database failure means. open.ts
// makes one per process.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { StoreError } from '../errors.ts';
import type { Database } from './schema.ts';

/**
 * What differs between the dialects when writing: decided in open.ts, used
 * by the domain stores without asking which dialect it is.
 */
export interface Locking {
  /** Starts a write transaction. */
  begin(db: Kysely<any>): Promise<void>;
  /** Inside a transaction: waits until no other transaction holds `key` (until commit). */
  serialize(db: Kysely<any>, key: string): Promise<void>;
  /** Whether SELECT … FOR UPDATE locks rows (PostgreSQL); SQLite locks the whole database instead. */
  rowLocks: boolean;
  /**
   * A JSON array of objects, bound as one parameter, as a table with one
   * row per element and the element in column `value` (read its fields
   * with `value ->> 'name'`): how 10,000 rows go in with one statement, not
   * 10,000 sets of parameters for the query builder to assemble.
   */
  jsonRows(json: string): RawBuilder<unknown>;
}

/**
 * What a failed statement means:
 * - `transient`: the connection was lost (a terminated backend, a restart, a
 *   failover) or the transaction lost a race: the same work on a fresh
 *   connection may well succeed;
 * - `unavailable`: the database cannot do its part now (disk full, read-only,
 *   gone): stop, and say where.
 * Anything else (a constraint, a bug) is not the store's to interpret.
 */
export type FailureKind = 'transient' | 'unavailable';

export interface Faults {
  /** Names the database in messages, never with a password: `data/broadsheet.db`, `PostgreSQL host:5432/db`. */
  where: string;
  classify(err: unknown): FailureKind | null;
  /** Waits between retries (a timer; tests may pass a faster one). */
  pause(ms: number): Promise<void>;
}

/** Tries of a statement that failed transiently: 0.1 + 0.4 + 1.6 + 6.4 s of waiting, enough for a failover or a restart. */
const TRIES = 5;
const FIRST_PAUSE_MS = 100;

const NO_FAULTS: Faults = { where: 'database', classify: () => null, pause: async () => undefined };

export class Db {
  constructor(
    readonly kysely: Kysely<Database>,
    readonly lock: Locking,
    readonly faults: Faults = NO_FAULTS,
  ) {}

  /**
   * Runs fn, again on a fresh connection when the connection was lost; a
   * failure that persists, or a database that cannot do its part, becomes a
   * StoreError naming the database and `what` was being done. fn must be
   * safe to run again: a transaction that never committed, or a statement
   * whose WHERE makes a second run change nothing more.
   */
  async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const kind = this.faults.classify(err);
        if (kind === null) throw err;
        if (kind === 'transient' && attempt < TRIES) {
          await this.faults.pause(FIRST_PAUSE_MS * 4 ** (attempt - 1));
          continue;
        }
        const reason = kind === 'transient' ? `lost the connection ${TRIES} times` : 'the database cannot do its part';
        throw new StoreError(`${this.faults.where}: error: ${what}: ${reason}: ${failureText(err)}`, { cause: err });
      }
    }
  }

  /** Runs fn in one write transaction that holds the dialect's write lock (see run for failures). */
  async write<T>(fn: (trx: Kysely<Database>) => Promise<T>, what = 'writing'): Promise<T> {
    return this.run(what, () =>
      this.kysely.connection().execute(async (conn) => {
        await this.lock.begin(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw err;
        }
      }),
    );
  }
}

/** One line: the driver's message and its code. */
export function failureText(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = (e?.message ?? String(err)).split('\n')[0]!;
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 500;

export function chunks<T>(rows: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A count from either dialect (PostgreSQL returns bigint counts as strings). */
export type Count = number | string;
