// Email addresses and names as they enter: checked and normalised once.
import { domainToASCII, domainToUnicode } from 'node:url';
import validator from 'validator';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Longest address SMTP carries (RFC 5321: 256 octets for the path, 254 for the address). */
const MAX_ADDRESS = 254;
const MAX_NAME = 100;
/** CR, LF and other controls would let a value inject mail headers. */
const CONTROL = /[\u0000-\u001F\u007F\u0085\u2028\u2029]/;

/**
 * Trims, lower-cases, and maps the domain to its Unicode form (so 例子.测试
 * and xn--fsqu00a.xn--0zwm56d are one address). The local part is ASCII
 * (few servers accept SMTPUTF8) and compared without case, as mail
 * providers do.
 */
export function normaliseAddress(input: string): Checked<string> {
  if (CONTROL.test(input)) return { ok: false, error: 'contains a line break or control character' };
  const trimmed = input.normalize('NFC').trim();
  if (trimmed === '') return { ok: false, error: 'is empty' };
  if (trimmed.length > MAX_ADDRESS) return { ok: false, error: `is longer than ${MAX_ADDRESS} characters` };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return { ok: false, error: 'is not an email address (name@example.com)' };
  const local = trimmed.slice(0, at);
  const ascii = domainToASCII(trimmed.slice(at + 1));
  if (ascii === '') return { ok: false, error: `has an invalid domain "${trimmed.slice(at + 1)}"` };
  const options = { allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false, allow_display_name: false };
  if (!validator.isEmail(`${local}@${ascii}`, options)) return { ok: false, error: 'is not an email address (name@example.com)' };
  return { ok: true, value: `${local.toLowerCase()}@${domainToUnicode(ascii).toLowerCase()}` };
}

/** A display name: optional, one line, at most 100 characters. */
export function normaliseName(input: string | null | undefined): Checked<string | null> {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (CONTROL.test(input)) return { ok: false, error: 'name contains a line break or control character' };
  const name = input.normalize('NFC').trim();
  if (name.length > MAX_NAME) return { ok: false, error: `name is longer than ${MAX_NAME} characters` };
  return { ok: true, value: name === '' ? null : name };
}

export function checkSchedule(schedule: string | undefined, schedules: readonly string[], fallback: string): Checked<string> {
  const s = (schedule ?? '').trim() || fallback;
  return schedules.includes(s)
    ? { ok: true, value: s }
    : { ok: false, error: `unknown schedule "${s}" (known: ${schedules.join(', ')})` };
}
