// Datelines (3月29日至31日 · 11月20日 · 近日) and the dates they give.
import { DateTime } from 'luxon';

const DIGITS = '[0-9\\uFF10-\\uFF19]';
const ABSOLUTE = new RegExp(
  `^(?:(?<year>${DIGITS}{4})年)?(?<month>${DIGITS}{1,2})月(?<day>${DIGITS}{1,2})日` +
    `(?:\\s*(?:至|到|—|–|-|~|\\uFF5E)\\s*(?:(?<month2>${DIGITS}{1,2})月)?(?<day2>${DIGITS}{1,2})日)?`,
  'u',
);
const RELATIVE = /^(?:近日|日前|近期|前不久|日内|昨天|昨日|今天|今日|本周|上周|近年来)/u;

export interface Dateline {
  /** The phrase as printed. */
  text: string;
  /** The last day named, when the phrase names one. */
  day: { year: number | null; month: number; day: number } | null;
}

function toNumber(s: string): number {
  return Number(s.replace(/[\uFF10-\uFF19]/gu, (d) => String(d.charCodeAt(0) - 0xff10)));
}

/** Reads the date phrase that opens a lede, if any. */
export function matchDateline(lede: string): Dateline | null {
  const text = lede.trimStart();
  const abs = ABSOLUTE.exec(text);
  if (abs?.groups) {
    const g = abs.groups;
    const month = toNumber(g.month2 ?? g.month!);
    const day = toNumber(g.day2 ?? g.day!);
    return { text: abs[0], day: { year: g.year ? toNumber(g.year) : null, month, day } };
  }
  const rel = RELATIVE.exec(text);
  // 近年来 opens many ledes but is not a dateline.
  if (rel && rel[0] !== '近年来') return { text: rel[0], day: null };
  return null;
}

export type ResolvedDate =
  | { ok: true; iso: string; yearInferred: boolean }
  | { ok: false; reason: string };

/**
 * The date a dateline names, at midnight in the site's time zone. Without a
 * year, the latest year that does not put the date after `firstSeen`.
 */
export function resolveDateline(
  day: { year: number | null; month: number; day: number },
  firstSeen: DateTime,
  timeZone: string,
): ResolvedDate {
  const at = (year: number) => DateTime.fromObject({ year, month: day.month, day: day.day }, { zone: timeZone });
  if (day.year !== null) {
    const dt = at(day.year);
    return dt.isValid ? { ok: true, iso: isoOf(dt), yearInferred: false } : { ok: false, reason: 'is not a calendar date' };
  }
  const seenYear = firstSeen.setZone(timeZone).year;
  // Eight years back covers 29 February.
  for (let year = seenYear; year >= seenYear - 8; year--) {
    const dt = at(year);
    if (dt.isValid && dt <= firstSeen) return { ok: true, iso: isoOf(dt), yearInferred: true };
  }
  return { ok: false, reason: 'is not a calendar date' };
}

/** RFC 3339 with the zone's numeric offset and no milliseconds. */
export function isoOf(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true, includeOffset: true })!;
}

export type ParsedFrontMatterDate = { ok: true; iso: string } | { ok: false; reason: string };

/** Front matter dates: `2026-03-31`, `2026-03-31 08:30[:00]` in the site's zone, or RFC 3339 with an offset. */
export function parseFrontMatterDate(value: string | Date, timeZone: string): ParsedFrontMatterDate {
  if (value instanceof Date) {
    const dt = DateTime.fromJSDate(value, { zone: timeZone });
    return dt.isValid ? { ok: true, iso: isoOf(dt) } : { ok: false, reason: 'is not a valid date' };
  }
  const s = value.trim();
  const local = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/.test(s);
  const dt = local
    ? DateTime.fromISO(s.replace(' ', 'T'), { zone: timeZone })
    : DateTime.fromISO(s, { setZone: true }).setZone(timeZone);
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}/.test(s)) {
    return { ok: false, reason: `"${s}" is not a date (use 2026-03-31, 2026-03-31 08:30 or 2026-03-31T08:30:00+08:00)` };
  }
  return { ok: true, iso: isoOf(dt) };
}
