// The scheduler loop with an injected clock: runs fall due at the right
// moments, one schedule's runs never overlap, a missed run is caught up once
// (or skipped when stale), and stop waits for a run in flight.
import { describe, expect, it } from 'vitest';
import { startScheduler } from '../../src/schedule/loop.ts';
import type { ScheduleTiming } from '../../src/schedule/plan.ts';

const DAILY: ScheduleTiming = { id: 'daily', name: '每日要闻', cron: '0 8 * * *', timeZone: 'Asia/Shanghai', catchUpHours: 6 };

/** A clock that moves only when the loop sleeps (or a run takes time), so the test decides what time it is. */
function fakeTime(start: string) {
  let now = new Date(start).getTime();
  const sleepers: Array<{ until: number; resolve: () => void }> = [];
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
    /** The loop sleeps; the fake clock jumps to the end of the sleep at once. */
    sleep: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const s = { until: now + ms, resolve };
        sleepers.push(s);
        signal.addEventListener('abort', () => resolve(), { once: true });
        setImmediate(() => {
          now = Math.max(now, s.until);
          resolve();
        });
      }),
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function harness(start: string, over: { until: number; runMs?: number; lastRun?: Date | null; unfinished?: boolean }) {
  const time = fakeTime(start);
  const runs: Array<{ reason: string; scheduledFor: string; at: string }> = [];
  const warnings: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const scheduler = startScheduler({
    timings: [DAILY],
    clock: time.clock,
    sleep: time.sleep,
    lastRun: async () => over.lastRun ?? null,
    unfinished: async () => over.unfinished ?? false,
    log: { ...quiet, warn: (_o, msg) => void warnings.push(msg) },
    async run(_s, reason, scheduledFor) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs.push({ reason, scheduledFor: scheduledFor.toISOString(), at: time.clock().toISOString() });
      await new Promise((r) => setImmediate(r));
      time.advance(over.runMs ?? 1000);
      inFlight--;
      if (runs.length >= over.until) done();
    },
  });
  return { scheduler, runs, warnings, finished, maxInFlight: () => maxInFlight, time };
}

describe('scheduler', () => {
  it('runs each due tick at its time, in the schedule zone', async () => {
    const h = harness('2026-11-24T20:00:00Z', { until: 3 });
    await h.finished;
    await h.scheduler.stop();
    expect(h.runs.map((r) => [r.reason, r.scheduledFor, r.at])).toEqual([
      ['cron', '2026-11-25T00:00:00.000Z', '2026-11-25T00:00:00.000Z'],
      ['cron', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
      ['cron', '2026-11-27T00:00:00.000Z', '2026-11-27T00:00:00.000Z'],
    ]);
  });

  it('never overlaps runs of one schedule: a run longer than the interval makes the next tick skipped, not doubled', async () => {
    const h = harness('2026-11-24T20:00:00Z', { until: 3, runMs: 36 * 3600_000 });
    await h.finished;
    await h.scheduler.stop();
    expect(h.maxInFlight()).toBe(1);
    // 00:00 runs until 12:00 the day after: the 25th's next tick (26th 00:00) is skipped and said so.
    expect(h.runs.map((r) => r.scheduledFor)).toEqual(['2026-11-25T00:00:00.000Z', '2026-11-27T00:00:00.000Z', '2026-11-29T00:00:00.000Z']);
    expect(h.warnings.some((w) => w.includes('2026-11-26T00:00:00.000Z') && w.includes('skipped'))).toBe(true);
  });

  it('catches up a missed run once at start-up, then keeps the timetable', async () => {
    const h = harness('2026-11-25T03:00:00Z', { until: 2, lastRun: new Date('2026-11-24T00:00:02Z') });
    await h.finished;
    await h.scheduler.stop();
    expect(h.runs.map((r) => [r.reason, r.scheduledFor, r.at])).toEqual([
      ['catch-up', '2026-11-25T00:00:00.000Z', '2026-11-25T03:00:00.000Z'],
      ['cron', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    ]);
  });

  it('resumes an unfinished edition at start-up instead of leaving it to the next tick', async () => {
    // Restarted at 03:00 after the 00:00 edition was frozen and half delivered: nothing missed, something unfinished.
    const h = harness('2026-11-25T03:00:00Z', { until: 2, lastRun: new Date('2026-11-25T00:00:02Z'), unfinished: true });
    await h.finished;
    await h.scheduler.stop();
    expect(h.runs.map((r) => [r.reason, r.at])).toEqual([
      ['resume', '2026-11-25T03:00:00.000Z'],
      ['cron', '2026-11-26T00:00:00.000Z'],
    ]);
  });

  it('skips a missed run older than catchUpHours, with a warning', async () => {
    const h = harness('2026-11-25T09:00:00Z', { until: 1, lastRun: new Date('2026-11-24T00:00:02Z') });
    await h.finished;
    await h.scheduler.stop();
    expect(h.runs.map((r) => r.reason)).toEqual(['cron']);
    expect(h.runs[0]!.scheduledFor).toBe('2026-11-26T00:00:00.000Z');
    expect(h.warnings.some((w) => w.includes('skipped the run missed at 2026-11-25T00:00:00.000Z'))).toBe(true);
  });

  it('reports the next run, and stop ends the sleep without running', async () => {
    const time = fakeTime('2026-11-24T20:00:00Z');
    let runs = 0;
    const s = startScheduler({
      timings: [DAILY],
      clock: time.clock,
      // A sleep that never ends by itself: only stop() ends it.
      sleep: (_ms, signal) => new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true })),
      lastRun: async () => null,
      run: async () => void runs++,
      log: quiet,
    });
    expect(s.next('daily')?.toISOString()).toBe('2026-11-25T00:00:00.000Z');
    await s.stop();
    expect(runs).toBe(0);
  });

  it('survives a failing run and logs it', async () => {
    const time = fakeTime('2026-11-24T20:00:00Z');
    const errors: string[] = [];
    let calls = 0;
    let done: () => void;
    const twice = new Promise<void>((r) => (done = r));
    const s = startScheduler({
      timings: [DAILY],
      clock: time.clock,
      sleep: time.sleep,
      lastRun: async () => null,
      run: async () => {
        calls++;
        if (calls === 2) done();
        throw new Error('SMTP down');
      },
      log: { ...quiet, error: (_o, msg) => void errors.push(msg) },
    });
    await twice;
    await s.stop();
    expect(errors[0]).toContain('the run failed');
  });
});
