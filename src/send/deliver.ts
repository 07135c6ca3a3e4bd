// Delivering a frozen edition: every active subscriber of the moment gets
// exactly one accepted message. A delivery's state moves only on the
// transport's answer; a run that dies leaves `sending` rows that the next run
// sends again with the same Message-ID; nothing accepted is ever sent twice
// on purpose.
//
// The edition's message is composed once (send/message.ts); each copy is the
// same bytes with one subscriber's few values spliced in. Deliveries are
// claimed from the store a batch at a time (one query), one lane per
// transport connection takes them one by one, and the answers are recorded
// in batches (send/recorder.ts) — each lane waits for its answer's commit
// before its next message, so a killed run resends at most one message per
// lane. Nothing per subscriber is held beyond the claimed batches.
//
// Several processes can deliver one edition together (`send --worker`, on
// PostgreSQL across machines): each claims its own batches, for a time it
// keeps renewing (send.claimSeconds); the claims of a worker that dies run
// out and the others take them; a worker that stalls past its claims hands
// none of them over, and records nothing it no longer holds. They share one
// rate limit through the store (send/pace.ts).
import type { Config } from '../config/schema.ts';
import { StoreError, TransportUnavailableError } from '../errors.ts';
import { SendError, type Transport } from '../mail/transport.ts';
import type { Delivery, DeliveryCounts, Edition } from '../model.ts';
import { decideBounce } from '../subscribers/lifecycle.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import { boundaryOf, personalMessages } from './message.ts';
import { type Pace, pacer } from './pace.ts';
import { Recorder } from './recorder.ts';
import type { DeliveryOutcome, EditionStore, RateStore, WorkerStore } from './store.ts';

export interface DeliverDeps {
  store: { editions: EditionStore; subscribers: Pick<SubscriberStore, 'change'>; workers: WorkerStore; rates: RateStore };
  /** Who this run is: only it may record the deliveries it claimed. */
  claimant: string;
  /** Whether another claimant is known to be dead (a killed run on this machine): its claims are taken back at once. */
  isDead: (claimant: string) => boolean;
  transport: Transport;
  config: Config;
  secret: string;
  /** The wall clock: backoff and timestamps. */
  clock: () => Date;
  /** Waits, unless the signal aborts first. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1), for backoff jitter. */
  jitter: () => number;
  /** Random lower-case hex (the message's MIME boundary). */
  random: () => string;
  /** Ctrl-C: finish what is in flight, record it, stop. */
  signal?: AbortSignal;
  /** Called every second or so, for progress bars and logs. */
  onProgress?: (p: DeliveryProgress) => void;
  /** Deliveries claimed at a time (default send.batchSize). */
  batchSize?: number;
  /** Paces hand-overs to the shared rate limit; default from the transport's rate limit (mail.smtp.rateLimit, none for the outbox) and the store's bucket. */
  pace?: Pace;
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

const PROGRESS_EVERY_MS = 1000;

/** What the transport's failure means for a delivery that was tried `attempt` times. */
function outcomeOf(error: unknown, attempt: number, deps: Pick<DeliverDeps, 'config' | 'clock' | 'jitter'>): { outcome: DeliveryOutcome; bounce: boolean } {
  const e = error instanceof SendError ? error : new SendError(`unexpected error: ${(error as Error).message}`, 'temporary');
  const response = e.response ?? e.message;
  const retry = deps.config.mail.retry;
  if (e.kind === 'temporary' && attempt < retry.attempts) {
    const wait = backoffMs(attempt, retry, deps.jitter());
    return { outcome: { state: 'queued', response, nextAttemptAt: new Date(deps.clock().getTime() + wait).toISOString() }, bounce: false };
  }
  return { outcome: { state: 'failed', response }, bounce: e.kind === 'bounce' };
}

export async function deliverEdition(deps: DeliverDeps, edition: Edition): Promise<DeliveryReport> {
  const { transport, config, claimant } = deps;
  const { editions, subscribers, workers } = deps.store;
  const batchSize = deps.batchSize ?? config.send.batchSize;
  const claimMs = config.send.claimSeconds * 1000;
  const lanes = Math.max(1, transport.concurrency);
  const startedAt = deps.clock().getTime();
  const tally = { sentNow: 0, failedNow: 0, bouncedNow: 0, retriesScheduled: 0 };
  const pace = deps.pace ?? pacer({ rates: deps.store.rates, clock: deps.clock, sleep: deps.sleep, jitter: deps.jitter }, deps.transport.rateLimit);
  let problem: string | undefined;

  // Deliveries a dead run left in flight may or may not have arrived: send
  // them again, with the same Message-ID, rather than skip anyone. Those of
  // workers still at work stay theirs until their claims run out.
  await editions.requeueAbandoned(edition.id, deps.clock(), deps.isDead);

  // Composed once for the run: MJML and Liquid ran when the edition was frozen.
  const messageFor = personalMessages(config, edition, deps.secret, boundaryOf(deps.random()));
  const recorder = new Recorder(editions, edition.id, claimant, deps.clock);
  let storeFailure: StoreError | undefined;
  const failed = (err: unknown) => {
    if (!(err instanceof StoreError)) throw err;
    storeFailure ??= err;
  };
  /** An error in a lane that is not the store's (a bug): every lane stops, and it is rethrown once they have. */
  let laneBug: { error: unknown } | undefined;
  const stopping = () =>
    problem !== undefined || storeFailure !== undefined || recorder.failure !== undefined || laneBug !== undefined || deps.signal?.aborted === true;

  // Claimed deliveries not yet taken by a lane; the next batch is claimed
  // while the last lanes work through this one.
  const queue: Delivery[] = [];
  /** Deliveries the lanes have taken and not yet recorded: their claims are renewed with the queue's. */
  const inHand = new Set<string>();
  let claiming: Promise<void> | null = null;
  let exhausted = false;
  /** A claim or heartbeat that failed for a reason that is not the store's: a bug, rethrown by the lanes. */
  let claimBug: { error: unknown } | undefined;
  /** When this run's claims were last known to be its own (claimed or renewed). */
  let heldSince = deps.clock().getTime();
  const claimMore = (): Promise<void> =>
    (claiming ??= (async () => {
      try {
        const now = deps.clock();
        const batch = await editions.claim(edition.id, claimant, now, batchSize, new Date(now.getTime() + claimMs));
        if (batch.length === 0) exhausted = true;
        queue.push(...batch);
      } catch (err) {
        if (err instanceof StoreError) storeFailure ??= err;
        else claimBug ??= { error: err };
      } finally {
        claiming = null;
      }
    })());

  // The heartbeat: renews this run's claims every third of their time and
  // says which worker this is. A delivery waiting in the queue whose claim
  // did not come back was taken over while this run stalled: it is dropped,
  // so nothing another worker holds is sent from here.
  const identity = workerIdentity(claimant, startedAt);
  let beating: Promise<Set<string> | null> | null = null;
  /** Renews the claims in hand; resolves with those still held (null when the store failed). */
  const heartbeat = (): Promise<Set<string> | null> =>
    (beating ??= (async () => {
      try {
        // A claim under way lands in the queue first, so the check below sees it.
        await claiming;
        const now = deps.clock();
        const ids = [...queue.map((d) => d.subscriberId), ...inHand];
        const held = await editions.renewClaims(edition.id, claimant, new Date(now.getTime() + claimMs), ids);
        const kept = queue.filter((d) => held.has(d.subscriberId));
        queue.splice(0, queue.length, ...kept);
        heldSince = now.getTime();
        await workers.beat({ ...identity, editionId: edition.id, sent: tally.sentNow }, now);
        return held;
      } catch (err) {
        // Runs on a timer: a failure that is not the store's reaches the lanes, which rethrow it.
        if (err instanceof StoreError) storeFailure ??= err;
        else claimBug ??= { error: err };
        return null;
      } finally {
        beating = null;
      }
    })());
  const beat = setInterval(() => void heartbeat(), Math.max(1000, claimMs / 3));
  beat.unref();
  /** Whether this run can still count on its claims: renewed within two thirds of their time. */
  const claimsHeld = () => deps.clock().getTime() - heldSince < (claimMs * 2) / 3;

  const next = async (): Promise<Delivery | null> => {
    for (;;) {
      if (claimBug) throw claimBug.error;
      if (stopping()) return null;
      // A stall (a stopped process, a blocked loop) may have cost the claims: find out before sending any.
      if (!claimsHeld()) {
        await heartbeat();
        continue;
      }
      // No claim starts while the heartbeat checks which claims are still ours.
      if (beating) {
        await beating;
        continue;
      }
      if (queue.length <= lanes && !exhausted && claiming === null) void claimMore();
      const d = queue.shift();
      if (d) return d;
      if (exhausted && claiming === null) return null;
      await (claiming ?? claimMore());
    }
  };

  // Progress at most once a second: counts from the store (they include other workers' work).
  let lastProgress = 0;
  const progress = async (): Promise<DeliveryProgress> => ({
    editionId: edition.id,
    counts: await editions.counts(edition.id),
    ...tally,
    startedAt,
    now: deps.clock().getTime(),
  });
  const maybeProgress = async () => {
    if (!deps.onProgress || deps.clock().getTime() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = deps.clock().getTime();
    try {
      deps.onProgress(await progress());
    } catch (err) {
      failed(err);
    }
  };

  /** Claimed deliveries that were never handed over (the transport went down, Ctrl-C). */
  const unstarted: string[] = [];
  const deliverOne = async (d: Delivery): Promise<void> => {
    // The shared rate limit; Ctrl-C while waiting leaves the delivery unstarted.
    let go: boolean;
    try {
      go = await pace(deps.signal);
    } catch (err) {
      failed(err);
      go = false;
    }
    // A stall while waiting (a stopped process) may have cost this claim: never send what another worker may hold.
    if (go && !claimsHeld()) {
      const held = await heartbeat();
      if (held !== null && !held.has(d.subscriberId)) return;
    }
    if (!go || stopping()) {
      unstarted.push(d.subscriberId);
      return;
    }
    // Headers carry whole seconds: copies sent in the same second share their Date header's encoding.
    const now = new Date(Math.floor(deps.clock().getTime() / 1000) * 1000);
    let receipt: { response: string } | undefined;
    let error: unknown;
    try {
      receipt = await transport.sendRaw(messageFor(d, now));
    } catch (err) {
      error = err;
    }
    if (receipt) {
      // Accepted: recording it is all that is left (a failure here is the store's, not the message's).
      if (await recorder.record({ subscriberId: d.subscriberId, outcome: { state: 'sent', response: receipt.response } })) tally.sentNow++;
      return;
    }
    if (error instanceof TransportUnavailableError) {
      // Nothing was handed over: the delivery goes back to the queue, uncharged.
      problem ??= error.message;
      unstarted.push(d.subscriberId);
      return;
    }
    // d.attempts counts the answers before this one.
    const { outcome, bounce } = outcomeOf(error, d.attempts + 1, deps);
    if (!(await recorder.record({ subscriberId: d.subscriberId, outcome }))) return;
    if (outcome.state === 'queued') {
      tally.retriesScheduled++;
      return;
    }
    tally.failedNow++;
    if (!bounce) return;
    try {
      const r = await subscribers.change({ id: d.subscriberId }, (current) => decideBounce(current, outcome.response, deps.clock().toISOString()));
      if (r.bounced) tally.bouncedNow++;
    } catch (err) {
      failed(err);
    }
  };

  const lane = async (): Promise<void> => {
    try {
      for (let d = await next(); d !== null; d = await next()) {
        inHand.add(d.subscriberId);
        try {
          await deliverOne(d);
        } finally {
          inHand.delete(d.subscriberId);
        }
        await maybeProgress();
      }
    } catch (err) {
      // Not the store's (those stop the run cleanly): the other lanes stop too, and it is rethrown below.
      laneBug ??= { error: err };
    }
  };

  let stopped: StopReason = 'done';
  try {
    await heartbeat();
    for (;;) {
      exhausted = false;
      await Promise.all(Array.from({ length: lanes }, lane));
      await claiming;
      await recorder.settled();
      if (stopping()) break;
      // Nothing to claim now: wait for the earliest retry, or for other
      // workers' claims to be recorded or to run out; done when nothing is
      // queued or sending any more.
      let nextAt: string | null;
      try {
        nextAt = await editions.nextWork(edition.id);
      } catch (err) {
        failed(err);
        break;
      }
      if (nextAt === null) break;
      const wait = Math.min(Math.max(0, Date.parse(nextAt) - deps.clock().getTime()), IDLE_POLL_MS);
      await deps.sleep(wait, deps.signal);
    }
  } finally {
    clearInterval(beat);
    await beating;
  }
  if (claimBug) throw claimBug.error;
  if (laneBug) throw laneBug.error;

  const failure = recorder.failure ?? storeFailure;
  if (failure) {
    // Whatever stays `sending` goes back when the claims run out (or at once for a run on this machine), uncharged.
    const n = recorder.unrecordedSent;
    const lost = n === 0 ? '' : `; ${n} message${n === 1 ? '' : 's'} the server accepted could not be recorded and will be sent again`;
    throw new StoreError(`${failure.message}; stopped sending${lost}`, { cause: failure });
  }
  // Claimed but never handed over (Ctrl-C, the server down): back to the queue.
  await editions.release(edition.id, claimant, [...unstarted, ...queue.splice(0).map((d) => d.subscriberId)], deps.clock());
  if (problem !== undefined) stopped = 'transport-unavailable';
  else if (deps.signal?.aborted) stopped = 'interrupted';
  return { ...(await progress()), stopped, ...(problem !== undefined ? { problem } : {}) };
}

/** While others hold an edition's last claims, look again this often (they may finish before the claims run out). */
const IDLE_POLL_MS = 1000;

/** The worker's row in the store: host and pid from its claimant id (`<host>:<pid namespace>:<pid>:<random>`, process-identity.ts). */
export function workerIdentity(claimant: string, startedAt: number): { id: string; host: string; pid: number; startedAt: string } {
  const [host, , pid] = claimant.split(':');
  return { id: claimant, host: host || 'unknown', pid: Number(pid) || 0, startedAt: new Date(startedAt).toISOString() };
}
