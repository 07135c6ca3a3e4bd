// A delivery worker (`broadsheet send --worker`, and `serve` with
// send.workers): it freezes nothing and holds no lease; it joins whatever
// editions are open — frozen by a `send` or a `serve` anywhere — and shares
// their deliveries with every other worker through the store's claims. Run
// as many as the relay and the database allow, on as many machines as share
// the PostgreSQL database (on SQLite: processes of one machine).
import type { Edition } from '../model.ts';
import { type DeliverDeps, type DeliveryReport, deliverEdition, workerIdentity } from './deliver.ts';

export interface WorkerDeps extends Omit<DeliverDeps, 'claimant'> {
  /** This worker's identity (process-identity.ts holderId): its claims and its row in `workers` carry it. */
  holder: string;
}

export interface WorkerRun {
  /** What this worker did for each edition it joined, in order. */
  editions: Array<{ edition: Edition; report: DeliveryReport }>;
  /** Why it stopped: every open edition delivered (with exitWhenIdle), Ctrl-C/SIGTERM, or the transport down. */
  stopped: 'idle' | 'interrupted' | 'transport-unavailable';
  problem?: string;
}

/** How often an idle worker looks for a new edition. */
const POLL_MS = 2000;

/**
 * Delivers open editions until stopped (or, with exitWhenIdle, until none is
 * open). `onEdition` hears of each edition as it is done; without it (a
 * long-lived worker in serve passes one) the results are also kept for the
 * returned run.
 */
export async function runWorker(
  deps: WorkerDeps,
  opts: { exitWhenIdle?: boolean; pollMs?: number; onEdition?: (edition: Edition, report: DeliveryReport) => void } = {},
): Promise<WorkerRun> {
  const done: WorkerRun['editions'] = [];
  let sent = 0;
  const { editions, workers } = deps.store;
  const identity = workerIdentity(deps.holder, deps.clock().getTime());
  try {
    for (;;) {
      if (deps.signal?.aborted) return { editions: done, stopped: 'interrupted' };
      const open = await editions.open();
      if (open.length === 0) {
        if (opts.exitWhenIdle) return { editions: done, stopped: 'idle' };
        // Seen idle: `editions` and /healthz list it as a worker waiting for work.
        await workers.beat({ ...identity, editionId: null, sent }, deps.clock());
        await deps.sleep(opts.pollMs ?? POLL_MS, deps.signal);
        continue;
      }
      for (const edition of open) {
        const report = await deliverEdition({ ...deps, claimant: deps.holder }, edition);
        sent += report.sentNow;
        // A worker in serve runs for months: it reports each edition and keeps none (an edition holds its whole HTML).
        if (opts.onEdition) opts.onEdition(edition, report);
        else done.push({ edition, report });
        if (report.stopped === 'interrupted') return { editions: done, stopped: 'interrupted' };
        if (report.stopped === 'transport-unavailable') return { editions: done, stopped: 'transport-unavailable', ...(report.problem ? { problem: report.problem } : {}) };
      }
    }
  } finally {
    await workers.leave(deps.holder).catch(() => undefined);
  }
}
