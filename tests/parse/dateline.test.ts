// Dates without Luxon in the hot path: held to Luxon itself, across zones
// with daylight saving (Lord Howe moves by half an hour; Havana changes at
// midnight), fixed offsets, and local mean time before 1900.
import fc from 'fast-check';
import { DateTime, Settings } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { isoOf, matchDateline, resolveDateline, siteMoment } from '../../src/parse/dateline.ts';

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Asia/Shanghai',
  'Australia/Lord_Howe',
  'America/Havana',
  'America/Santiago',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'Europe/London',
  'Etc/UTC',
  'UTC',
];
const DAY_MS = 86_400_000;
const realNow = Settings.now;

afterEach(() => {
  Settings.now = realNow;
});

/**
 * Luxon's midnight of a date, with its clock set to the day before: Luxon
 * starts from the offset "now", the parser from the offset a day before, and
 * the two only differ for a midnight that happens twice.
 */
function luxonMidnight(year: number, month: number, day: number, zone: string): string | null {
  Settings.now = () => Date.UTC(year, month - 1, day) - DAY_MS;
  const dt = DateTime.fromObject({ year, month, day }, { zone });
  Settings.now = realNow;
  return dt.isValid ? isoOf(dt) : null;
}

const calendarDay = fc.record({
  year: fc.integer({ min: 1850, max: 2100 }),
  month: fc.integer({ min: 1, max: 13 }),
  day: fc.integer({ min: 1, max: 32 }),
});

describe('resolveDateline against Luxon', () => {
  it('gives the same midnight for dates with a year, in every zone', () => {
    fc.assert(
      fc.property(calendarDay, fc.constantFrom(...ZONES), ({ year, month, day }, zone) => {
        const ours = resolveDateline({ year, month, day }, null, zone);
        const luxon = luxonMidnight(year, month, day, zone);
        expect(ours).toEqual(luxon === null ? { ok: false, reason: 'is not a calendar date' } : { ok: true, iso: luxon, yearInferred: false });
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same midnight on every day around the changes of 2024–2026', () => {
    for (const zone of ZONES) {
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2027, 0, 1); t += DAY_MS) {
        const d = new Date(t);
        const [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
        const ours = resolveDateline({ year, month, day }, null, zone);
        expect(ours.ok && ours.iso, `${zone} ${year}-${month}-${day}`).toBe(luxonMidnight(year, month, day, zone));
      }
    }
  });

  it('infers the year as the old Luxon code did', () => {
    fc.assert(
      fc.property(
        fc.record({ month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) }),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...ZONES),
        ({ month, day }, seenMs, zone) => {
          const firstSeen = new Date(seenMs).toISOString();
          // The code this replaced, with Luxon's clock set as above.
          const seen = DateTime.fromISO(firstSeen, { setZone: true }).setZone(zone);
          let expected: unknown = { ok: false, reason: 'is not a calendar date' };
          for (let year = seen.year; year >= seen.year - 8; year--) {
            const iso = luxonMidnight(year, month, day, zone);
            if (iso !== null && DateTime.fromISO(iso).toMillis() <= seen.toMillis()) {
              expected = { ok: true, iso, yearInferred: true };
              break;
            }
          }
          expect(resolveDateline({ year: null, month, day }, siteMoment(firstSeen, zone), zone)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes the earlier of a midnight that happens twice, whatever the clock says', () => {
    // Cuba puts its clocks back from 01:00 to 00:00 on the first Sunday of November.
    for (const now of [Date.UTC(2024, 0, 1), Date.UTC(2024, 6, 1)]) {
      Settings.now = () => now;
      expect(resolveDateline({ year: 2024, month: 11, day: 3 }, null, 'America/Havana')).toEqual({
        ok: true,
        iso: '2024-11-03T00:00:00-04:00',
        yearInferred: false,
      });
    }
  });

  it('moves a midnight the clocks skip to the first moment after (as Luxon does)', () => {
    // Cuba puts its clocks forward from 00:00 to 01:00 on the second Sunday of March.
    expect(resolveDateline({ year: 2024, month: 3, day: 10 }, null, 'America/Havana')).toEqual({
      ok: true,
      iso: '2024-03-10T01:00:00-04:00',
      yearInferred: false,
    });
  });

  it('rejects 29 February outside leap years, and unknown zones', () => {
    expect(resolveDateline({ year: 2025, month: 2, day: 29 }, null, 'Asia/Shanghai').ok).toBe(false);
    expect(resolveDateline({ year: 2024, month: 2, day: 29 }, null, 'Asia/Shanghai')).toMatchObject({ ok: true, iso: '2024-02-29T00:00:00+08:00' });
    expect(resolveDateline({ year: 2024, month: 3, day: 1 }, null, 'Mars/Olympus')).toMatchObject({ ok: false });
  });
});

describe('siteMoment against Luxon', () => {
  const forms = fc.constantFrom('Z', '+08:00', '-05:00', '+05:45', '-00:30', '+00:00');
  it('reads RFC 3339 times as Luxon reads them and writes them in the site zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1800, 0, 1), max: Date.UTC(2200, 0, 1) }),
        forms,
        fc.constantFrom('', '.000', '.5', '.123', '.999', '.123456789'),
        fc.constantFrom(...ZONES),
        (ms, offset, fraction, zone) => {
          const text = new Date(ms).toISOString().slice(0, 19) + fraction + offset;
          const dt = DateTime.fromISO(text, { setZone: true }).setZone(zone);
          expect(siteMoment(text, zone)).toEqual(dt.isValid ? { ts: dt.toMillis(), iso: isoOf(dt), year: dt.year } : null);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each([
    '2026-11-25',
    '2026-11-25T06:00',
    '2026-11-25T24:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-W48-3',
    '2026-11-25t06:00:00z',
    'yesterday',
    '',
  ])('falls back to Luxon for %j', (text) => {
    for (const zone of ['Asia/Shanghai', 'UTC', 'America/New_York']) {
      const dt = DateTime.fromISO(text, { setZone: true }).setZone(zone);
      expect(siteMoment(text, zone)).toEqual(dt.isValid ? { ts: dt.toMillis(), iso: isoOf(dt), year: dt.year } : null);
    }
  });

  it('writes Z only for a fixed UTC zone, as Luxon does', () => {
    expect(siteMoment('2026-11-25T06:00:00.000Z', 'UTC')?.iso).toBe('2026-11-25T06:00:00Z');
    expect(siteMoment('2026-11-25T06:00:00.000Z', 'Etc/UTC')?.iso).toBe('2026-11-25T06:00:00+00:00');
    expect(siteMoment('2026-11-25T06:00:00.250Z', 'Asia/Shanghai')?.iso).toBe('2026-11-25T14:00:00.250+08:00');
  });
});

describe('matchDateline', () => {
  it.each([
    ['3月29日至31日,省委书记…', '3月29日至31日', { year: null, month: 3, day: 31 }],
    ['3月30日至4月1日,会议', '3月30日至4月1日', { year: null, month: 4, day: 1 }],
    ['2023年3月29日,会议', '2023年3月29日', { year: 2023, month: 3, day: 29 }],
    ['\uFF12\uFF10\uFF12\uFF14年\uFF11\uFF12月\uFF10\uFF13日,会议', '\uFF12\uFF10\uFF12\uFF14年\uFF11\uFF12月\uFF10\uFF13日', { year: 2024, month: 12, day: 3 }],
    ['近日,某地', '近日', null],
  ])('reads %s', (lede, text, day) => {
    expect(matchDateline(lede)).toEqual({ text, day });
  });

  it('does not take 近年来 for a dateline', () => {
    expect(matchDateline('近年来,某地')).toBeNull();
  });
});
