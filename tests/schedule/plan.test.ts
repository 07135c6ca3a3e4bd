// When schedules run, from an injected moment: zones east of UTC around
// midnight UTC, a daylight-saving change, and the catch-up decision.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { type ScheduleTiming, catchUpDecision, localTime, nextRuns, previousRun, timingsOf } from '../../src/schedule/plan.ts';

const timing = (over: Partial<ScheduleTiming> = {}): ScheduleTiming => ({
  id: 'daily',
  name: '每日要闻',
  cron: '0 8 * * *',
  timeZone: 'Asia/Shanghai',
  catchUpHours: 6,
  ...over,
});
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('next runs', () => {
  it('reads the pattern in Asia/Shanghai: 08:00 there is midnight UTC, and the day rolls over there', () => {
    expect(iso(nextRuns(timing(), new Date('2026-11-24T23:59:30Z'), 3))).toEqual([
      '2026-11-25T00:00:00.000Z',
      '2026-11-26T00:00:00.000Z',
      '2026-11-27T00:00:00.000Z',
    ]);
    // 07:00 Monday in Shanghai is Sunday 23:00 UTC: the weekday is Shanghai's.
    expect(iso(nextRuns(timing({ cron: '0 7 * * 1' }), new Date('2026-11-29T22:00:00Z'), 2))).toEqual(['2026-11-29T23:00:00.000Z', '2026-12-06T23:00:00.000Z']);
    expect(localTime(new Date('2026-11-29T23:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-30 Mon 07:00 +08:00');
  });

  it('keeps local time across a daylight-saving change (Europe/Berlin, 29 March 2026)', () => {
    const runs = nextRuns(timing({ cron: '0 7 * * *', timeZone: 'Europe/Berlin' }), new Date('2026-03-27T12:00:00Z'), 3);
    expect(iso(runs)).toEqual(['2026-03-28T06:00:00.000Z', '2026-03-29T05:00:00.000Z', '2026-03-30T05:00:00.000Z']);
    expect(runs.map((d) => localTime(d, 'Europe/Berlin'))).toEqual(['2026-03-28 Sat 07:00 +01:00', '2026-03-29 Sun 07:00 +02:00', '2026-03-30 Mon 07:00 +02:00']);
  });

  it('runs once, not never, when the local time does not exist that day (America/New_York, 02:30 on 8 March 2026)', () => {
    const runs = iso(nextRuns(timing({ cron: '30 2 * * *', timeZone: 'America/New_York' }), new Date('2026-03-07T12:00:00Z'), 3));
    expect(runs).toHaveLength(3);
    expect(runs[0]!.startsWith('2026-03-08')).toBe(true);
    expect(runs.slice(1)).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
  });

  it('counts a run exactly at the moment as the previous one', () => {
    expect(previousRun(timing(), new Date('2026-11-25T00:00:00Z'))?.toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(previousRun(timing(), new Date('2026-11-24T23:59:59Z'))?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });

  it('takes each schedule zone from the config, defaulting to the site zone', () => {
    const config = configSchema.parse({
      site: { timeZone: 'Asia/Shanghai' },
      schedules: { daily: { name: 'a', cron: '0 7 * * *', periodHours: 24 }, ny: { name: 'b', cron: '0 7 * * *', periodHours: 24, timeZone: 'America/New_York', catchUpHours: 2 } },
    });
    expect(timingsOf(config).map((t) => [t.id, t.timeZone, t.catchUpHours])).toEqual([
      ['daily', 'Asia/Shanghai', 6],
      ['ny', 'America/New_York', 2],
    ]);
  });
});

describe('catch-up at start-up', () => {
  const t = timing(); // 08:00 Shanghai = 00:00 UTC
  it('runs once for a missed run younger than catchUpHours', () => {
    expect(catchUpDecision(t, new Date('2026-11-24T00:00:05Z'), new Date('2026-11-25T05:00:00Z'))).toEqual({ kind: 'run', missed: new Date('2026-11-25T00:00:00Z') });
  });
  it('skips a missed run older than catchUpHours', () => {
    const d = catchUpDecision(t, new Date('2026-11-24T00:00:05Z'), new Date('2026-11-25T07:00:00Z'));
    expect(d).toMatchObject({ kind: 'skip', missed: new Date('2026-11-25T00:00:00Z') });
    expect(d.kind === 'skip' && d.ageHours).toBe(7);
  });
  it('does nothing when the last run is not older than the latest due run, or when it never ran', () => {
    expect(catchUpDecision(t, new Date('2026-11-25T00:00:01Z'), new Date('2026-11-25T05:00:00Z'))).toEqual({ kind: 'none' });
    expect(catchUpDecision(t, null, new Date('2026-11-25T05:00:00Z'))).toEqual({ kind: 'none' });
  });
  it('catches up only the latest missed run after days down', () => {
    expect(catchUpDecision(t, new Date('2026-11-20T00:00:01Z'), new Date('2026-11-25T01:00:00Z'))).toEqual({ kind: 'run', missed: new Date('2026-11-25T00:00:00Z') });
  });
});
