import { DateTime } from 'luxon';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chineseDate, rfc3339, rfc822 } from '../../src/site/dates.ts';

describe('feed dates', () => {
  it('formats RFC 822 with a four-digit year and a numeric zone, never CST', () => {
    expect(rfc822('2026-03-31T00:00:00+08:00', 'Asia/Shanghai')).toBe('Tue, 31 Mar 2026 00:00:00 +0800');
    expect(rfc822('2026-03-30T16:00:00Z', 'Asia/Shanghai')).toBe('Tue, 31 Mar 2026 00:00:00 +0800');
    expect(rfc822('2026-07-01T12:00:00Z', 'America/New_York')).toBe('Wed, 01 Jul 2026 08:00:00 -0400');
    expect(rfc822('2026-07-01T12:00:00Z', 'Asia/Kolkata')).toBe('Wed, 01 Jul 2026 17:30:00 +0530');
    expect(rfc822('2026-07-01T12:00:00Z', 'UTC')).toBe('Wed, 01 Jul 2026 12:00:00 +0000');
  });

  it('formats RFC 3339 and Chinese dates in the site zone', () => {
    expect(rfc3339('2026-03-30T16:00:00.000Z', 'Asia/Shanghai')).toBe('2026-03-31T00:00:00+08:00');
    expect(chineseDate('2026-03-30T16:00:00Z', 'Asia/Shanghai')).toBe('2026年3月31日');
    expect(() => rfc3339('yesterday', 'Asia/Shanghai')).toThrow(RangeError);
  });

  it('agrees with luxon for any instant and zone', () => {
    const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
        const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
        const dt = DateTime.fromISO(iso).setZone(zone);
        expect(rfc3339(iso, zone)).toBe(dt.toISO({ suppressMilliseconds: true })!.replace(/Z$/, '+00:00'));
        expect(rfc822(iso, zone)).toBe(dt.setLocale('en-US').toFormat('ccc, dd LLL yyyy HH:mm:ss ZZZ'));
      }),
      { numRuns: 500 },
    );
  });
});
