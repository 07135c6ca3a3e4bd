// Versioned migrations. Each runs in its own transaction under an exclusive
// lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), re-checks
// whether it was applied meanwhile, and records itself in schema_migrations,
// so two processes starting at once apply each migration exactly once.
//
// Why not Kysely's Migrator: on SQLite it runs migrations outside any
// transaction and takes no lock, so two processes starting together can both
// apply the same migration.
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';
import type { Locking } from './db.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>): Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'sources, items, subscribers',
    async up(db) {
      await db.schema
        .createTable('sources')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('published', 'text', (c) => c.notNull())
        .addColumn('first_seen', 'text', (c) => c.notNull())
        .addColumn('last_changed', 'text')
        .addColumn('removed_at', 'text')
        .execute();
      await db.schema.createIndex('items_first_seen').on('items').column('first_seen').execute();
      await db.schema
        .createTable('subscribers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'active', 'unsubscribed', 'bounced')`),
        )
        .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('cli', 'web', 'import')`))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('confirmed_at', 'text')
        .addColumn('unsubscribed_at', 'text')
        .addColumn('bounced_at', 'text')
        .addColumn('bounce_reason', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('subscribers_schedule_status').on('subscribers').columns(['schedule', 'status', 'id']).execute();
    },
  },
  {
    version: 2,
    name: 'editions, deliveries, leases',
    async up(db) {
      await db.schema
        .createTable('editions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .addColumn('until', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('item_count', 'integer', (c) => c.notNull())
        .addColumn('shown_count', 'integer', (c) => c.notNull())
        .addColumn('recipient_count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('editions_schedule_until').on('editions').columns(['schedule', 'until']).execute();
      await db.schema
        .createTable('edition_items')
        .addColumn('edition_id', 'text', (c) => c.notNull().references('editions.id'))
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('edition_items_pk', ['edition_id', 'item_id'])
        .execute();
      await db.schema
        .createTable('deliveries')
        .addColumn('edition_id', 'text', (c) => c.notNull().references('editions.id'))
        .addColumn('subscriber_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'sending', 'sent', 'failed', 'skipped')`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_response', 'text')
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .addColumn('claimed_by', 'text')
        .addPrimaryKeyConstraint('deliveries_pk', ['edition_id', 'subscriber_id'])
        .execute();
      await db.schema.createIndex('deliveries_edition_state').on('deliveries').columns(['edition_id', 'state', 'subscriber_id']).execute();
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 3,
    name: 'subscribers.confirm_nonce',
    async up(db) {
      // Confirm links are bound to the subscription they were issued for.
      await db.schema.alterTable('subscribers').addColumn('confirm_nonce', 'text').execute();
    },
  },
  {
    version: 4,
    name: 'expiring delivery claims, workers, shared rate limits',
    async up(db) {
      // A claim lasts until claimed_until; a worker that stops renewing it loses the delivery to the others.
      await db.schema.alterTable('deliveries').addColumn('claimed_until', 'text').execute();
      await db.schema
        .createTable('workers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .addColumn('edition_id', 'text')
        .addColumn('sent', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('rate_limits')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('tokens', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
];

export async function migrate(
  withPlugins: Kysely<Database>,
  lock: Pick<Locking, 'begin' | 'serialize'>,
  now: () => Date,
  migrations: Migration[] = MIGRATIONS,
): Promise<number[]> {
  // Migrations speak the database's own (snake_case) names, whatever plugins the caller uses.
  const db = withPlugins.withoutPlugins() as Kysely<any>;
  await db.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute()
    .catch(async (err: unknown) => {
      // PostgreSQL can race on CREATE TABLE IF NOT EXISTS; fine if the table is there now.
      const tables = await db.introspection.getTables();
      if (!tables.some((t) => t.name === 'schema_migrations')) throw err;
    });

  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await db.selectFrom('schema_migrations').select('version').where('version', '=', m.version).executeTakeFirst();
    if (done) continue;
    await db.connection().execute(async (conn) => {
      await lock.begin(conn);
      await lock.serialize(conn, 'migrations');
      try {
        const again = await conn
          .selectFrom('schema_migrations')
          .select('version')
          .where('version', '=', m.version)
          .executeTakeFirst();
        if (!again) {
          await m.up(conn);
          await conn
            .insertInto('schema_migrations')
            .values({ version: m.version, name: m.name, applied_at: now().toISOString() })
            .execute();
          applied.push(m.version);
        }
        await sql`commit`.execute(conn);
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }
  return applied;
}
