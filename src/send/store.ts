// What sending needs of the store. send/ owns these interfaces;
// store/editions.ts and store/leases.ts implement them for both dialects.
import type { Delivery, DeliveryCounts, Edition } from '../model.ts';

/** What a send learned about one delivery. */
export type DeliveryOutcome =
  | { state: 'sent'; response: string }
  | { state: 'queued'; response: string; nextAttemptAt: string }
  | { state: 'failed'; response: string };

export type NewEdition = Omit<Edition, 'recipientCount'>;

export interface EditionSummary extends Omit<Edition, 'html' | 'text' | 'nonce'> {
  counts: DeliveryCounts;
}

export interface EditionStore {
  /** The schedule's newest edition, if any. */
  last(schedule: string): Promise<Edition | null>;
  /** The schedule's oldest edition with deliveries still queued or sending. */
  unfinished(schedule: string): Promise<Edition | null>;
  get(id: string): Promise<Edition | null>;
  /** Editions, newest first, with their delivery counts. */
  list(schedule?: string): Promise<EditionSummary[]>;
  /** The item ids of an edition, in order. */
  items(id: string): Promise<string[]>;
  /**
   * Freezes an edition in one transaction: the edition, its items, and one
   * queued delivery for every active subscriber of the schedule at this moment.
   */
  freeze(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition>;

  /** Deliveries left `sending` by a run that died go back to `queued`. */
  requeueInFlight(editionId: string, now: Date): Promise<number>;
  /**
   * Takes up to `limit` queued deliveries that are due, marks them
   * `sending` for `claimant`, counts the attempt. Deliveries to subscribers
   * no longer active (unsubscribed or bounced since the edition was frozen)
   * become `skipped` instead.
   */
  claim(editionId: string, claimant: string, now: Date, limit: number): Promise<Delivery[]>;
  /** Records the answer for a delivery this claimant holds; false if it no longer holds it. */
  record(editionId: string, subscriberId: string, claimant: string, outcome: DeliveryOutcome, now: Date): Promise<boolean>;
  /** A claimed delivery that was never attempted goes back to the queue, its attempt uncounted. */
  release(editionId: string, subscriberId: string, claimant: string, now: Date): Promise<void>;
  /** The earliest retry time among queued deliveries, or null when none waits. */
  nextRetryAt(editionId: string): Promise<string | null>;
  counts(editionId: string): Promise<DeliveryCounts>;
  /** Puts an edition's failed deliveries back in the queue, attempts reset. */
  requeueFailed(editionId: string, now: Date): Promise<number>;
}

export interface LeaseStore {
  /**
   * Takes the named lease until `expiresAt`, if it is free, expired, already
   * ours, or its holder is known dead (`isDead`). Returns whether we hold it.
   * Atomic in both dialects: a compare-and-set on the row we saw.
   */
  acquire(name: string, holder: string, now: Date, expiresAt: Date, isDead: (holder: string) => boolean): Promise<boolean>;
  /** Extends a lease we hold; false if it was lost. */
  renew(name: string, holder: string, expiresAt: Date): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** Who holds a lease and until when, if anyone. */
  holder(name: string): Promise<{ holder: string; expiresAt: string } | null>;
}
