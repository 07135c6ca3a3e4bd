// Date formats for feeds and pages, always with the site's numeric offset.
//
// One cached Intl formatter per time zone does the zone arithmetic: a build
// formats tens of thousands of dates, and this is the hot path.

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset from UTC in minutes, e.g. 480 for +08:00. */
  offset: number;
  weekday: number;
  /** rfc3339 and chineseDate of the instant, written on first use (a build writes each of them tens of thousands of times). */
  rfc3339: string | undefined;
  chinese: string | undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Articles share dates (datelines name days), so the parts of each instant
 * are kept, per zone, by the instant's text: a lookup by a string the caller
 * already has, whose hash V8 keeps with it, rather than by a key made for
 * each call.
 */
const memo = new Map<string, Map<string, ZonedParts>>();
const MEMO_LIMIT = 100_000;

function zoned(iso: string, timeZone: string): ZonedParts {
  let inZone = memo.get(timeZone);
  if (!inZone) memo.set(timeZone, (inZone = new Map()));
  const hit = inZone.get(iso);
  if (hit) return hit;
  const parts = computeZoned(iso, timeZone);
  if (inZone.size >= MEMO_LIMIT) inZone.clear();
  inZone.set(iso, parts);
  return parts;
}

function computeZoned(iso: string, timeZone: string): ZonedParts {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(iso)) throw new RangeError(`not an RFC 3339 date: ${iso}`);
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(ms)) parts[p.type] = p.value;
  const m = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?)?$/.exec(parts.timeZoneName ?? 'GMT');
  const offset = m?.[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    offset,
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
    // Present from the start, so every memo entry keeps one shape.
    rfc3339: undefined,
    chinese: undefined,
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** RFC 822 as RSS wants it, four-digit year and numeric zone: `Tue, 31 Mar 2026 00:00:00 +0800`. */
export function rfc822(iso: string, timeZone: string): string {
  const z = zoned(iso, timeZone);
  return `${WEEKDAYS[z.weekday]}, ${pad(z.day)} ${MONTHS[z.month - 1]} ${pad(z.year, 4)} ${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)} ${offsetText(z.offset, false)}`;
}

/** RFC 3339 with the zone's offset: `2026-03-31T00:00:00+08:00`. */
export function rfc3339(iso: string, timeZone: string): string {
  const z = zoned(iso, timeZone);
  return (z.rfc3339 ??= `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}T${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}${offsetText(z.offset, true)}`);
}

/** `20260331-0700`: a compact local stamp, for ids people read. */
export function localStamp(iso: string, timeZone: string): string {
  const z = zoned(iso, timeZone);
  return `${pad(z.year, 4)}${pad(z.month)}${pad(z.day)}-${pad(z.hour)}${pad(z.minute)}`;
}

/** 2026年3月31日 */
export function chineseDate(iso: string, timeZone: string): string {
  const z = zoned(iso, timeZone);
  return (z.chinese ??= `${z.year}年${z.month}月${z.day}日`);
}

/** The later of two RFC 3339 instants. */
export function later(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
