// How an edition is reported. Honest: an edition is never "sent" while
// anything failed or is still pending.
import type { DeliveryCounts } from '../model.ts';
import type { ActiveWorker, EditionStore, WorkerStore } from './store.ts';

/** Never "sent" unless every delivery was accepted (or skipped because its subscriber left). */
export function editionStatus(counts: DeliveryCounts): 'sent' | 'partly failed' | 'incomplete' {
  if (counts.queued + counts.sending > 0) return 'incomplete';
  if (counts.failed > 0) return 'partly failed';
  return 'sent';
}

/** How recently a worker must have been seen to count as active: a minute, or one claim time when longer (it beats every third of one). */
export function workerStaleMs(claimSeconds: number): number {
  return Math.max(60_000, claimSeconds * 1000);
}

/** Delivery in progress, for `broadsheet editions` and /healthz: every open edition's counts and the workers on it. */
export interface DeliveryActivity {
  editions: Array<{ id: string; schedule: string; counts: DeliveryCounts; status: ReturnType<typeof editionStatus>; workers: string[] }>;
  /** Every worker seen lately, on an edition or waiting for one. */
  workers: ActiveWorker[];
}

/**
 * Reads the activity across every worker and machine from the store: cheap
 * enough for a health check (open editions only, one count each).
 */
export async function deliveryActivity(
  store: { editions: Pick<EditionStore, 'open' | 'counts'>; workers: Pick<WorkerStore, 'active'> },
  now: Date,
  staleMs: number,
): Promise<DeliveryActivity> {
  const [open, workers] = await Promise.all([store.editions.open(), store.workers.active(new Date(now.getTime() - staleMs))]);
  const editions = [];
  for (const e of open) {
    const counts = await store.editions.counts(e.id);
    editions.push({ id: e.id, schedule: e.schedule, counts, status: editionStatus(counts), workers: workers.filter((w) => w.editionId === e.id).map((w) => w.id) });
  }
  return { editions, workers };
}
