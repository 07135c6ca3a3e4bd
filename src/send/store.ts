// What sending needs of the store. send/ owns these interfaces;
// store/editions.ts and store/leases.ts implement them for both dialects.
import type { Delivery, DeliveryCounts, Edition, Subscriber } from '../model.ts';

/** What a send learned about one delivery. */
export type DeliveryOutcome =
  | { state: 'sent'; response: string }
  | { state: 'queued'; response: string; nextAttemptAt: string }
  | { state: 'failed'; response: string };

/** A delivery's answer, to record. */
export interface Answer {
  subscriberId: string;
  outcome: DeliveryOutcome;
}

export type NewEdition = Omit<Edition, 'recipientCount'>;

export interface EditionSummary extends Omit<Edition, 'html' | 'text' | 'nonce'> {
  counts: DeliveryCounts;
}

/** A delivery that did not go out, with the server's answer: what `broadsheet editions EDITION` lists. */
export interface DeliveryFailure {
  email: string;
  name: string | null;
  /** Answers received (each try the server answered or the connection failed). */
  attempts: number;
  /** The server's last answer, as it gave it. */
  lastResponse: string | null;
  /** When the answer came. */
  at: string;
  /** The subscriber's status now: `bounced` when the address itself was refused. */
  subscriberStatus: Subscriber['status'] | null;
}

/** What `send --retry-failed` did with an edition's failures. */
export interface Requeued {
  /** Back in the queue: their subscribers are still active. */
  requeued: number;
  /** Left failed, with their answers: the subscriber bounced or left since. */
  kept: number;
}

export interface EditionStore {
  /** The schedule's newest edition, if any. */
  last(schedule: string): Promise<Edition | null>;
  /** The schedule's oldest edition with deliveries still queued or sending. */
  unfinished(schedule: string): Promise<Edition | null>;
  get(id: string): Promise<Edition | null>;
  /** Editions, newest first, with their delivery counts. */
  list(schedule?: string): Promise<EditionSummary[]>;
  /** One edition with its delivery counts. */
  summary(id: string): Promise<EditionSummary | null>;
  /** The item ids of an edition, in order. */
  items(id: string): Promise<string[]>;
  /**
   * Freezes an edition in one transaction: the edition, its items, and one
   * queued delivery for every active subscriber of the schedule at this moment.
   */
  freeze(edition: NewEdition, itemIds: string[], messageIdDomain: string): Promise<Edition>;

  /** Editions of any schedule with deliveries still queued or sending, oldest first: what a worker joins. */
  open(): Promise<Edition[]>;
  /**
   * Deliveries whose claim ran out, or whose claimant `isDead` says is gone
   * (a run on this machine that was killed), go back to `queued`: they may or
   * may not have arrived, so they go again, with the same Message-ID.
   */
  requeueAbandoned(editionId: string, now: Date, isDead: (claimant: string) => boolean): Promise<number>;
  /**
   * Takes up to `limit` deliveries that are due, in one query, and marks them
   * `sending` for `claimant` until `claimedUntil`: queued ones, and `sending`
   * ones whose claim ran out (their worker died or stalled). On PostgreSQL
   * rows another worker is claiming are passed over (SKIP LOCKED).
   * Deliveries to subscribers no longer active (unsubscribed or bounced since
   * the edition was frozen) become `skipped` instead. Empty only when nothing
   * is due. Claiming charges no attempt: a run that dies before the transport
   * answers costs nobody their retry budget.
   */
  claim(editionId: string, claimant: string, now: Date, limit: number, claimedUntil: Date): Promise<Delivery[]>;
  /** Renews the claims `claimant` still holds among `subscriberIds` (those it has in hand); returns the ones it holds. */
  renewClaims(editionId: string, claimant: string, claimedUntil: Date, subscriberIds: string[]): Promise<Set<string>>;
  /**
   * Records the transport's answers, in one transaction, for deliveries this
   * claimant holds, charging each the attempt it answered. Returns the
   * subscriber ids recorded: a delivery the claimant no longer holds is left
   * as its new holder has it.
   */
  record(editionId: string, claimant: string, answers: Answer[], now: Date): Promise<Set<string>>;
  /** Claimed deliveries never handed to the transport go back to the queue. */
  release(editionId: string, claimant: string, subscriberIds: string[], now: Date): Promise<void>;
  /**
   * When there may next be something to claim: the earliest retry among
   * queued deliveries, or the earliest claim to run out among those other
   * workers are sending; null when the edition has nothing queued or sending.
   */
  nextWork(editionId: string): Promise<string | null>;
  counts(editionId: string): Promise<DeliveryCounts>;
  /**
   * Puts an edition's failed deliveries back in the queue, attempts reset,
   * their last answers kept until new ones come; failures of subscribers no
   * longer active (bounced, unsubscribed) stay failed with their answers.
   */
  requeueFailed(editionId: string, now: Date): Promise<Requeued>;
  /** The edition's failed deliveries with their answers, by address, a batch at a time. */
  failures(editionId: string, batchSize?: number): AsyncGenerator<DeliveryFailure[]>;
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

/** A process delivering, as `editions` and /healthz show it. */
export interface WorkerBeat {
  /** Its claimant id. */
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  /** The edition it is delivering now, if any. */
  editionId: string | null;
  /** Messages accepted so far. */
  sent: number;
}

export interface ActiveWorker extends WorkerBeat {
  seenAt: string;
}

export interface WorkerStore {
  /** Says the worker is alive (and what it does); inserts it the first time. */
  beat(worker: WorkerBeat, now: Date): Promise<void>;
  /** The worker stopped. */
  leave(id: string): Promise<void>;
  /** Workers seen since `since`, by id. */
  active(since: Date): Promise<ActiveWorker[]>;
}

export interface RateStore {
  /**
   * A token bucket shared by every process: takes up to `want` tokens from
   * bucket `name`, which fills at `perSecond` up to `capacity`. Returns how
   * many it got (0 when empty). Atomic across processes.
   */
  take(name: string, want: number, perSecond: number, capacity: number, now: Date): Promise<number>;
}
