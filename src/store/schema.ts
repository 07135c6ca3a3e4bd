// The database schema, documented in one place. Migrations (migrations.ts)
// create exactly these tables; the Kysely types below let every query be
// checked against them. Columns are snake_case in the database and camelCase
// in TypeScript: Kysely's CamelCasePlugin (open.ts) maps every name, so a row
// is read straight into the domain type (model.ts) with no mapping code.
//
// Timestamps are TEXT in RFC 3339 UTC with milliseconds
// (`2026-11-25T04:00:00.000Z`) in both dialects: fixed width, so text order is
// time order, and no dialect-specific date types leak into the queries.
// Article dates (items.published) keep the site's offset as the parser gave
// them.
//
// sources        one row per article source file ever seen
//   path           path relative to the articles folder (`000_9a07….txt`)   PK
//   first_seen     when a build first saw the file (dates without a dateline use it)
//
// items          one row per article ever published in the feeds
//   id             the article id (`000_9a07…#1`, or front matter id)       PK
//   source         sources.path it came from
//   hash           SHA-256 of the article's content as parsed
//   title          its title (for listings and logs)
//   published      the article's date, RFC 3339 with offset
//   first_seen     when it first appeared in a build: editions pick items by this
//   last_changed   when its content last changed after first_seen (null: never)
//   removed_at     when its source stopped yielding it (null: still there)
//
// subscribers    one row per address (model.ts Subscriber)
//   id             random 128-bit hex                                       PK
//   email          normalised address (trimmed, lower-cased, IDN as Unicode)  UNIQUE
//   name           optional display name
//   schedule       which digest they receive (`daily`, `weekly`, …)
//   status         pending → active → unsubscribed, or bounced
//   origin         where they came from: cli, web, import
//   created_at, confirmed_at, unsubscribed_at, bounced_at, updated_at
//   bounce_reason  the SMTP answer that bounced them
//   confirm_nonce  random, new for each subscription (sign-up, or again after leaving);
//                  confirm links are signed over it, so an old link cannot confirm a
//                  later subscription (migration 3; null for those made before it)
//
// editions       one frozen digest of a schedule (model.ts Edition; migration 2)
//   id             `<schedule>-<YYYYMMDD-HHmm>` in the site's zone                PK
//   schedule, created_at
//   since, until   the edition holds the items first seen in (since, until]
//   subject, html, text, nonce   the message, rendered once; html and text hold
//                  per-subscriber placeholders carrying the nonce
//   item_count, shown_count, recipient_count
//
// edition_items  the items of an edition, in order (migration 2)
//   edition_id, item_id, position                                              PK (edition_id, item_id)
//
// deliveries     one per (edition, subscriber) (model.ts Delivery; migration 2)   PK (edition_id, subscriber_id)
//   email, name    the address as it was when the edition was frozen
//   state          queued → sending → sent | failed; sending rows of a dead run go back to queued;
//                  skipped when the subscriber left (unsubscribed, bounced) before their turn
//   claimed_by     the run holding a `sending` row: only it may record the answer
//   claimed_until  when that claim runs out unless renewed (migration 4); an expired claim,
//                  or one of a holder known dead, goes back to whoever claims next
//   attempts, last_response (the SMTP answer), message_id (stable per row),
//   next_attempt_at (backoff), created_at, updated_at, sent_at
//
// leases         named locks with an expiry, so two senders never overlap (migration 2)
//   name           `send:<schedule>`                                           PK
//   holder         `<host>:<pid>:<random>`; a dead process on this host loses it at once
//   expires_at
//
// workers        every process delivering now, for `editions` and /healthz (migration 4)
//   id             its claimant id (`<host>:<pid namespace>:<pid>:<random>`)       PK
//   host, pid, started_at
//   seen_at        its last heartbeat; a worker not seen for a while is gone
//   edition_id     the edition it is delivering (null between editions)
//   sent           messages it has had accepted so far
//
// rate_limits    token buckets shared by every worker (migration 4)
//   name           `smtp`: mail.smtp.rateLimit is per relay, not per process       PK
//   tokens         tokens left at updated_at (double precision)
//   updated_at
import type { ColumnType } from 'kysely';
import type { Delivery, Edition, Subscriber } from '../model.ts';

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  appliedAt: string;
}

export interface SourcesTable {
  path: string;
  firstSeen: string;
}

export interface ItemsTable {
  id: string;
  source: string;
  hash: string;
  title: string;
  published: string;
  firstSeen: string;
  lastChanged: string | null;
  removedAt: string | null;
}

export type SubscribersTable = Subscriber;

export type EditionsTable = Edition;

export interface EditionItemsTable {
  editionId: string;
  itemId: string;
  position: number;
}

export interface DeliveriesTable extends Omit<Delivery, 'attempts'> {
  attempts: ColumnType<number, number | undefined, number>;
  createdAt: string;
  updatedAt: string;
  /** The run holding a `sending` delivery; only it may record the answer. */
  claimedBy: string | null;
  /** When that claim runs out unless renewed. */
  claimedUntil: string | null;
}

export interface WorkersTable {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  seenAt: string;
  editionId: string | null;
  sent: ColumnType<number, number | undefined, number>;
}

export interface RateLimitsTable {
  name: string;
  tokens: number;
  updatedAt: string;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expiresAt: string;
}

export interface Database {
  schemaMigrations: SchemaMigrationsTable;
  sources: SourcesTable;
  items: ItemsTable;
  subscribers: SubscribersTable;
  editions: EditionsTable;
  editionItems: EditionItemsTable;
  deliveries: DeliveriesTable;
  leases: LeasesTable;
  workers: WorkersTable;
  rateLimits: RateLimitsTable;
}
