// What subscribing needs of the store. subscribers/ owns this interface;
// store/subscribers.ts implements it for both dialects.
import type { Subscriber, SubscriberStatus } from '../model.ts';
import type { Decision } from './lifecycle.ts';

export type SubscriberKey = { email: string } | { id: string };

export interface SubscriberFilter {
  status?: SubscriberStatus | undefined;
  schedule?: string | undefined;
}

export interface SubscriberStore {
  /**
   * Reads a subscriber, lets `decide` say what to store, and stores it, in
   * one transaction: concurrent changes to the same address never interleave.
   */
  change<T>(key: SubscriberKey, decide: (current: Subscriber | null) => Decision<T>): Promise<T>;
  /** change for many addresses in one transaction (imports). Results in input order. */
  changeMany<T>(emails: string[], decide: (current: Subscriber | null, index: number) => Decision<T>): Promise<T[]>;
  get(key: SubscriberKey): Promise<Subscriber | null>;
  /** Subscribers in id order, a batch at a time, so memory stays flat however many there are. */
  batches(filter: SubscriberFilter, batchSize?: number): AsyncGenerator<Subscriber[]>;
  count(filter: SubscriberFilter): Promise<number>;
}
