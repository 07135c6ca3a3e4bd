// Date formats for feeds and pages, always with the site's numeric offset.
import { DateTime } from 'luxon';

function inZone(iso: string, timeZone: string): DateTime {
  const dt = DateTime.fromISO(iso, { setZone: true }).setZone(timeZone);
  if (!dt.isValid) throw new RangeError(`not an RFC 3339 date: ${iso}`);
  return dt;
}

/** RFC 822 as RSS wants it, four-digit year and numeric zone: `Tue, 31 Mar 2026 00:00:00 +0800`. */
export function rfc822(iso: string, timeZone: string): string {
  return inZone(iso, timeZone).setLocale('en-US').toFormat('ccc, dd LLL yyyy HH:mm:ss ZZZ');
}

/** RFC 3339 with the zone's offset: `2026-03-31T00:00:00+08:00`. */
export function rfc3339(iso: string, timeZone: string): string {
  return inZone(iso, timeZone).toISO({ suppressMilliseconds: true })!;
}

/** 2026年3月31日 */
export function chineseDate(iso: string, timeZone: string): string {
  const dt = inZone(iso, timeZone);
  return `${dt.year}年${dt.month}月${dt.day}日`;
}

/** The later of two RFC 3339 instants. */
export function later(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
