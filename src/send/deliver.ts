// Delivering a frozen edition: every active subscriber of the moment gets
// exactly one accepted message. A delivery's state moves only on the
// transport's answer; a run that dies leaves `sending` rows that the next run
// sends again with the same Message-ID; nothing accepted is ever sent twice
// on purpose.
import type { Config } from '../config/schema.ts';
import { TransportUnavailableError } from '../errors.ts';
import { type Personalise, personaliser } from '../mail/render.ts';
import { type Sender, listIdOf, senderOf } from '../mail/sender.ts';
import { type OutgoingMessage, SendError, type Transport } from '../mail/transport.ts';
import { mapConcurrent } from '../concurrency.ts';
import type { Delivery, DeliveryCounts, Edition } from '../model.ts';
import { decideBounce } from '../subscribers/lifecycle.ts';
import { type SubscriberLinks, subscriberLinks } from '../subscribers/links.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import type { DeliveryOutcome, EditionStore } from './store.ts';

export interface DeliverDeps {
  store: { editions: EditionStore; subscribers: Pick<SubscriberStore, 'change'> };
  /** Who this run is (the lease holder): only it may record the deliveries it claimed. */
  claimant: string;
  transport: Transport;
  config: Config;
  secret: string;
  /** The wall clock: backoff and timestamps. */
  clock: () => Date;
  /** Waits, unless the signal aborts first. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1), for backoff jitter. */
  jitter: () => number;
  /** Ctrl-C: finish what is in flight, record it, stop. */
  signal?: AbortSignal;
  /** Called after every batch, for progress bars and logs. */
  onProgress?: (p: DeliveryProgress) => void;
  /** Deliveries claimed at a time. */
  batchSize?: number;
}

export interface DeliveryProgress {
  editionId: string;
  counts: DeliveryCounts;
  /** Sent in this run. */
  sentNow: number;
  failedNow: number;
  bouncedNow: number;
  retriesScheduled: number;
  startedAt: number;
  now: number;
}

export type StopReason = 'done' | 'interrupted' | 'transport-unavailable';

export interface DeliveryReport extends DeliveryProgress {
  stopped: StopReason;
  /** Why the transport was unusable, when it was. */
  problem?: string;
}

/** Exponential backoff with jitter: base × 2^(attempt−1), capped, times 0.5–1.5. */
export function backoffMs(attempt: number, config: Config['mail']['retry'], jitter: number): number {
  const raw = Math.min(config.maxDelaySeconds, config.baseDelaySeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * 1000 * (0.5 + jitter));
}

export function messageFor(edition: Edition, d: Delivery, personalise: Personalise, sender: Sender, listId: string, links: SubscriberLinks, date: Date): OutgoingMessage {
  const unsubscribe = links.unsubscribeUrl;
  const { html, text } = personalise({ name: d.name ?? '', email: d.email, unsubscribe_url: unsubscribe, preferences_url: links.preferencesUrl });
  return {
    messageId: d.messageId,
    date,
    from: sender.from,
    replyTo: sender.replyTo,
    to: { name: d.name, address: d.email },
    subject: edition.subject,
    html,
    text,
    listId,
    unsubscribeUrl: unsubscribe,
  };
}

export async function deliverEdition(deps: DeliverDeps, edition: Edition): Promise<DeliveryReport> {
  const { transport, config } = deps;
  const { editions, subscribers } = deps.store;
  const retry = config.mail.retry;
  const sender = senderOf(config);
  const listId = listIdOf(config, edition.schedule, sender);
  const personalise = personaliser(edition);
  const batchSize = deps.batchSize ?? Math.max(50, transport.concurrency * 10);
  const startedAt = deps.clock().getTime();
  const tally = { sentNow: 0, failedNow: 0, bouncedNow: 0, retriesScheduled: 0 };
  let problem: string | undefined;

  // Deliveries a dead run left in flight may or may not have arrived: send
  // them again, with the same Message-ID, rather than skip anyone.
  await editions.requeueInFlight(edition.id, deps.clock());

  const progress = async (): Promise<DeliveryProgress> => ({
    editionId: edition.id,
    counts: await editions.counts(edition.id),
    ...tally,
    startedAt,
    now: deps.clock().getTime(),
  });

  const { claimant } = deps;
  /** Writes that record an accepted message are retried: losing one means sending the message again. */
  const record = async (d: Delivery, outcome: DeliveryOutcome): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await editions.record(edition.id, d.subscriberId, claimant, outcome, deps.clock());
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await deps.sleep(100 * 2 ** attempt);
      }
    }
  };

  const deliverOne = async (d: Delivery): Promise<void> => {
    if (problem !== undefined || deps.signal?.aborted) {
      // Not started: back to the queue, the attempt uncounted.
      await editions.release(edition.id, d.subscriberId, claimant, deps.clock());
      return;
    }
    let error: unknown;
    let receipt: { response: string } | undefined;
    try {
      const now = deps.clock();
      const message = messageFor(edition, d, personalise, sender, listId, subscriberLinks(config.site.baseUrl, deps.secret, d.subscriberId), now);
      receipt = await transport.send(message);
    } catch (err) {
      error = err;
    }
    if (receipt) {
      // Accepted: recording it is all that is left (a failure here is the store's, not the message's).
      await record(d, { state: 'sent', response: receipt.response });
      tally.sentNow++;
      return;
    }
    if (error instanceof TransportUnavailableError) {
      // Nothing was handed over; the next run sends it.
      problem = error.message;
      await editions.release(edition.id, d.subscriberId, claimant, deps.clock());
      return;
    }
    const e = error instanceof SendError ? error : new SendError(`unexpected error: ${(error as Error).message}`, 'temporary');
    const response = e.response ?? e.message;
    if (e.kind === 'temporary' && d.attempts < retry.attempts) {
      const wait = backoffMs(d.attempts, retry, deps.jitter());
      await record(d, { state: 'queued', response, nextAttemptAt: new Date(deps.clock().getTime() + wait).toISOString() });
      tally.retriesScheduled++;
      return;
    }
    await record(d, { state: 'failed', response });
    tally.failedNow++;
    if (e.kind === 'bounce') {
      const r = await subscribers.change({ id: d.subscriberId }, (current) => decideBounce(current, response, deps.clock().toISOString()));
      if (r.bounced) tally.bouncedNow++;
    }
  };

  let stopped: StopReason = 'done';
  for (;;) {
    if (deps.signal?.aborted) {
      stopped = 'interrupted';
      break;
    }
    if (problem !== undefined) {
      stopped = 'transport-unavailable';
      break;
    }
    const batch = await editions.claim(edition.id, claimant, deps.clock(), batchSize);
    if (batch.length === 0) {
      const next = await editions.nextRetryAt(edition.id);
      if (next === null) break;
      await deps.sleep(Math.max(0, Date.parse(next) - deps.clock().getTime()), deps.signal);
      continue;
    }
    // Every message of the batch settles before anything else happens.
    await mapConcurrent(batch, transport.concurrency, deliverOne);
    deps.onProgress?.(await progress());
  }
  if (problem !== undefined) stopped = 'transport-unavailable';
  else if (deps.signal?.aborted && stopped === 'done') stopped = 'interrupted';
  return { ...(await progress()), stopped, ...(problem !== undefined ? { problem } : {}) };
}
