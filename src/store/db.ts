// What every domain store shares: the Kysely handle, the dialect's way of
// locking, and write transactions. open.ts makes one per process.
import { type Kysely, sql } from 'kysely';
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
}

export class Db {
  constructor(
    readonly kysely: Kysely<Database>,
    readonly lock: Locking,
  ) {}

  /** Runs fn in one write transaction that holds the dialect's write lock. */
  async write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.kysely.connection().execute(async (conn) => {
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
