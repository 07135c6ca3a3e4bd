// Datelines (3月29日至31日 · 11月20日 · 近日) and the dates they give.
import { DateTime, Info } from 'luxon';

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

/** The value of a run of ASCII or full-width digits. */
function toNumber(digits: string): number {
  let n = 0;
  for (let i = 0; i < digits.length; i++) {
    const unit = digits.charCodeAt(i);
    n = n * 10 + (unit >= 0xff10 ? unit - 0xff10 : unit - 0x30);
  }
  return n;
}

/** Reads the date phrase that opens a lede, if any. */
export function matchDateline(lede: string): Dateline | null {
  const text = lede.trimStart();
  // An absolute dateline starts with a digit: skip its regex otherwise.
  const first = text.charCodeAt(0);
  const abs = (first >= 0x30 && first <= 0x39) || (first >= 0xff10 && first <= 0xff19) ? ABSOLUTE.exec(text) : null;
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

/** A moment in the site's time zone. */
export interface SiteMoment {
  /** Epoch milliseconds. */
  ts: number;
  /** RFC 3339 with the zone's numeric offset and no milliseconds when they are 0 (as isoOf writes it). */
  iso: string;
  /** The calendar year in the site's zone. */
  year: number;
}

const NOT_A_DATE: ResolvedDate = { ok: false, reason: 'is not a calendar date' };

/**
 * The date a dateline names, at midnight in the site's time zone. Without a
 * year, the latest year that does not put the date after `firstSeen`
 * (null when the first-seen moment could not be read).
 */
export function resolveDateline(
  day: { year: number | null; month: number; day: number },
  firstSeen: SiteMoment | null,
  timeZone: string,
): ResolvedDate {
  const zone = siteZone(timeZone);
  if (zone === null) return NOT_A_DATE;
  if (day.year !== null) {
    const at = midnight(zone, day.year, day.month, day.day);
    return at ? { ok: true, iso: at.iso, yearInferred: false } : NOT_A_DATE;
  }
  if (firstSeen === null) return NOT_A_DATE;
  // Eight years back covers 29 February.
  for (let year = firstSeen.year; year >= firstSeen.year - 8; year--) {
    const at = midnight(zone, year, day.month, day.day);
    if (at && at.ts <= firstSeen.ts) return { ok: true, iso: at.iso, yearInferred: true };
  }
  return NOT_A_DATE;
}

/**
 * An RFC 3339 moment (`firstSeen`) in the site's time zone, or null when it
 * cannot be read or the zone is unknown.
 */
export function siteMoment(rfc3339: string, timeZone: string): SiteMoment | null {
  const zone = siteZone(timeZone);
  if (zone === null) return null;
  let moment = zone.moments.get(rfc3339);
  if (moment === undefined) {
    const ts = parseRfc3339(rfc3339);
    if (ts !== undefined) {
      moment = momentOf(zone, ts, zone.offset(ts));
    } else {
      // Any other form Luxon reads (week dates, no offset, hour 24 …): rare, so Luxon does it.
      const dt = DateTime.fromISO(rfc3339, { setZone: true }).setZone(timeZone);
      moment = dt.isValid ? { ts: dt.toMillis(), iso: isoOf(dt), year: dt.year } : null;
    }
    remember(zone.moments, rfc3339, moment);
  }
  return moment;
}

// Dates are resolved for every article, and Luxon's DateTime made that a
// large share of parsing. What follows is the part of Luxon this file used,
// ported function for function (same Intl.DateTimeFormat options, same
// arithmetic, so the same results; tests/parse/dateline.test.ts holds it to
// Luxon), with the answers cached per zone: a corpus names few distinct days
// and has few distinct first-seen moments.

interface SiteZone {
  /** Minutes east of UTC at an epoch millisecond. */
  offset: (ts: number) => number;
  /** A fixed-offset zone (`UTC`): Luxon writes its zero offset as `Z`. */
  universal: boolean;
  /** Midnights already resolved, by year * 10000 + month * 100 + day. */
  midnights: Map<number, SiteMoment | null>;
  /** First-seen moments already read, by their text. */
  moments: Map<string, SiteMoment | null>;
}

const zones = new Map<string, SiteZone | null>();
/** Entries per cache before it starts over (a bound, not a tuning knob). */
const CACHE_LIMIT = 10_000;
const DAY_MS = 86_400_000;

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/** The zone as Luxon reads its name: `UTC` and `UTC+8` are fixed offsets, other names IANA zones. */
function siteZone(timeZone: string): SiteZone | null {
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    const luxonZone = Info.normalizeZone(timeZone);
    zone = luxonZone.isValid
      ? {
          offset: luxonZone.type === 'iana' ? ianaOffset(timeZone) : (ts) => luxonZone.offset(ts),
          universal: luxonZone.isUniversal,
          midnights: new Map(),
          moments: new Map(),
        }
      : null;
    zones.set(timeZone, zone);
  }
  return zone;
}

/** Luxon's IANAZone.offset: the zone's wall clock at `ts`, read back as UTC, minus `ts` to the second. */
function ianaOffset(timeZone: string): (ts: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    hour12: false,
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    era: 'short',
  });
  return (ts) => {
    const date = new Date(ts);
    let asTS = date.getTime();
    if (Number.isNaN(asTS)) return NaN;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let era = '';
    for (const part of format.formatToParts(date)) {
      if (part.type === 'year') year = parseInt(part.value, 10);
      else if (part.type === 'month') month = parseInt(part.value, 10);
      else if (part.type === 'day') day = parseInt(part.value, 10);
      else if (part.type === 'hour') hour = parseInt(part.value, 10);
      else if (part.type === 'minute') minute = parseInt(part.value, 10);
      else if (part.type === 'second') second = parseInt(part.value, 10);
      else if (part.type === 'era') era = part.value;
    }
    if (era === 'BC') year = -Math.abs(year) + 1;
    // hour12: false can print midnight as 24.
    const asUTC = localTimestamp(year, month, day, hour === 24 ? 0 : hour, minute, second, 0);
    const over = asTS % 1000;
    asTS -= over >= 0 ? over : 1000 + over;
    return (asUTC - asTS) / (60 * 1000);
  };
}

/** Local midnight of a calendar date in the zone, or null when there is no such date. */
function midnight(zone: SiteZone, year: number, month: number, day: number): SiteMoment | null {
  const key = (year * 100 + month) * 100 + day;
  let moment = zone.midnights.get(key);
  if (moment === undefined) {
    if (!Number.isInteger(year) || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      moment = null;
    } else {
      const local = localTimestamp(year, month, day, 0, 0, 0, 0);
      // Luxon starts from the zone's offset at the current time, which makes
      // a midnight that happens twice (clocks going back at 01:00) depend on
      // the clock. The offset a day before gives the same answer for every
      // other midnight and picks the earlier of the two for those, always.
      const [ts, offset] = fixOffset(local, zone.offset(local - DAY_MS), zone.offset);
      moment = momentOf(zone, ts, offset);
    }
    remember(zone.midnights, key, moment);
  }
  return moment;
}

/** Luxon's fixOffset: the epoch time of a wall-clock time, from a guess of its offset. */
function fixOffset(localTS: number, guess: number, offsetAt: (ts: number) => number): [number, number] {
  let utcGuess = localTS - guess * 60 * 1000;
  const o2 = offsetAt(utcGuess);
  if (guess === o2) return [utcGuess, guess];
  utcGuess -= (o2 - guess) * 60 * 1000;
  const o3 = offsetAt(utcGuess);
  if (o2 === o3) return [utcGuess, o2];
  // A wall-clock time skipped by the clocks going forward.
  return [localTS - Math.min(o2, o3) * 60 * 1000, Math.max(o2, o3)];
}

/** Luxon's objToLocalTS: a wall-clock time as if it were UTC. */
function localTimestamp(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const ts = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100 && year >= 0) {
    // Date.UTC reads years 0–99 as 1900–1999.
    const d = new Date(ts);
    d.setUTCFullYear(year, month - 1, day);
    return d.getTime();
  }
  return ts;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** The moment `ts` at `offset` minutes, written as isoOf (Luxon's toISO) writes it; null past the Date range. */
function momentOf(zone: SiteZone, ts: number, offset: number): SiteMoment | null {
  const d = new Date(ts + offset * 60 * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(year)) return null;
  const ms = d.getUTCMilliseconds();
  const iso =
    `${year > 9999 || year < 0 ? (year >= 0 ? '+' : '') + pad(year, 6) : pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms !== 0 ? `.${pad(ms, 3)}` : ''}` +
    (zone.universal && offset === 0
      ? 'Z'
      : offset < 0
        ? `-${pad(Math.trunc(-offset / 60))}:${pad(Math.trunc(-offset % 60))}`
        : `+${pad(Math.trunc(offset / 60))}:${pad(Math.trunc(offset % 60))}`);
  return { ts, iso, year };
}

/** Luxon's padStart: zero-padded, with the minus sign in front. */
function pad(n: number, width = 2): string {
  return n < 0 ? '-' + String(-n).padStart(width, '0') : String(n).padStart(width, '0');
}

/** `2026-11-25T06:00:00.000Z`, `2026-11-25T14:00:00+08:00`: what the store and the clock write. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of a plain RFC 3339 time as Luxon's fromISO reads it, or undefined for anything else. */
function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Math.floor(parseFloat('0.' + m[7]) * 1000);
  const magnitude = m[8] === undefined ? 0 : Number(m[9]) * 60 + Number(m[10]);
  const offset = m[8] === '-' ? -magnitude : magnitude;
  return localTimestamp(year, month, day, hour, minute, second, ms) - offset * 60 * 1000;
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
