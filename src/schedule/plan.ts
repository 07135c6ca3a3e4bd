// When each schedule runs: pure functions of the config and a given moment
// (never the clock). croner reads the cron pattern in the schedule's zone,
// so daylight-saving changes and zones east of UTC come out right.
import { Cron } from 'croner';
import type { Config } from '../config/schema.ts';

export interface ScheduleTiming {
  id: string;
  name: string;
  cron: string;
  /** IANA zone the pattern is read in. */
  timeZone: string;
  /** A missed run younger than this is caught up once at start-up. */
  catchUpHours: number;
}

/** Each schedule's timing, in config order; the zone defaults to the site's. */
export function timingsOf(config: Config): ScheduleTiming[] {
  return Object.entries(config.schedules).map(([id, s]) => ({
    id,
    name: s.name,
    cron: s.cron,
    timeZone: s.timeZone ?? config.site.timeZone,
    catchUpHours: s.catchUpHours,
  }));
}

/** A pattern that never fires by itself: only its arithmetic is used. */
function cronOf(t: ScheduleTiming): Cron {
  return new Cron(t.cron, { timezone: t.timeZone, paused: true });
}

/** The next `n` runs strictly after `after`. */
export function nextRuns(t: ScheduleTiming, after: Date, n = 1): Date[] {
  return cronOf(t).nextRuns(n, after);
}

/** The next run strictly after `after`, or null if the pattern never fires again. */
export function nextRun(t: ScheduleTiming, after: Date): Date | null {
  return nextRuns(t, after, 1)[0] ?? null;
}

/** The latest run at or before `at`, or null if there was none. */
export function previousRun(t: ScheduleTiming, at: Date): Date | null {
  // previousRuns looks strictly before its reference; a run exactly at `at` counts as due.
  return cronOf(t).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

export type CatchUp =
  /** Nothing was missed (or the schedule never ran here, so nothing can have been). */
  | { kind: 'none' }
  /** Run once now for the missed run. */
  | { kind: 'run'; missed: Date }
  /** The missed run is older than catchUpHours: skip it (and say so). */
  | { kind: 'skip'; missed: Date; ageHours: number };

/**
 * What to do at start-up about a run missed while the service was down.
 * `lastRun` is the schedule's last run known to the store (its newest
 * edition); with none, nothing counts as missed: a fresh install does not
 * send at its first start.
 */
export function catchUpDecision(t: ScheduleTiming, lastRun: Date | null, now: Date): CatchUp {
  const missed = previousRun(t, now);
  if (missed === null || lastRun === null || lastRun.getTime() >= missed.getTime()) return { kind: 'none' };
  const ageHours = (now.getTime() - missed.getTime()) / 3_600_000;
  return ageHours <= t.catchUpHours ? { kind: 'run', missed } : { kind: 'skip', missed, ageHours };
}

/** `2026-11-26 07:00 +08:00` in the schedule's zone. */
export function localTime(at: Date, timeZone: string): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    timeZoneName: 'longOffset',
  });
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT$/, 'GMT+00:00').slice(3);
  return `${parts.year}-${parts.month}-${parts.day} ${parts.weekday} ${parts.hour}:${parts.minute} ${offset}`;
}
