// Progress of a send: a live line on a terminal, one structured log line per
// batch otherwise (for cron and journald).
import pino from 'pino';
import type { DeliveryProgress } from '../send/deliver.ts';
import type { Io } from './io.ts';

export interface ProgressSink {
  update(p: DeliveryProgress): void;
  done(): void;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

export function progressSink(io: Pick<Io, 'stderr' | 'stderrIsTTY'>): ProgressSink {
  if (io.stderrIsTTY) {
    let shown = false;
    return {
      update(p) {
        const remaining = p.counts.queued + p.counts.sending;
        const seconds = (p.now - p.startedAt) / 1000;
        const rate = seconds > 0 ? p.sentNow / seconds : 0;
        const total = p.counts.sent + p.counts.failed + remaining;
        const width = 24;
        const filled = total > 0 ? Math.round(((total - remaining) / total) * width) : width;
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        io.stderr(
          `\r[${bar}] sent ${p.counts.sent} · failed ${p.counts.failed} · remaining ${remaining} · ${rate.toFixed(1)}/s · ETA ${eta(rate > 0 ? remaining / rate : Infinity)}   `,
        );
        shown = true;
      },
      done() {
        if (shown) io.stderr('\n');
      },
    };
  }
  const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => io.stderr(line) });
  return {
    update(p) {
      const seconds = (p.now - p.startedAt) / 1000;
      log.info(
        {
          edition: p.editionId,
          sent: p.counts.sent,
          failed: p.counts.failed,
          remaining: p.counts.queued + p.counts.sending,
          retries_scheduled: p.retriesScheduled,
          rate_per_s: seconds > 0 ? Number((p.sentNow / seconds).toFixed(2)) : 0,
        },
        'delivery batch',
      );
    },
    done() {},
  };
}
