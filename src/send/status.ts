// How an edition is reported. Honest: an edition is never "sent" while
// anything failed or is still pending.
import type { DeliveryCounts } from '../model.ts';

/** Never "sent" unless every delivery was accepted (or skipped because its subscriber left). */
export function editionStatus(counts: DeliveryCounts): 'sent' | 'partly failed' | 'incomplete' {
  if (counts.queued + counts.sending > 0) return 'incomplete';
  if (counts.failed > 0) return 'partly failed';
  return 'sent';
}
