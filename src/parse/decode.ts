// Bytes → text. Pure: the loader reads the file and hands the bytes here.
//
// Newsroom exports arrive as UTF-8 (with or without BOM), UTF-16 with BOM, or
// GB18030/GBK. Strict UTF-8 is tried first; text that is UTF-8 apart from a
// few broken bytes stays UTF-8 (with U+FFFD and a warning) rather than being
// turned into GB18030 mojibake; anything else goes through iconv-lite's
// GB18030 decoder.
import { isUtf8, transcode } from 'node:buffer';
import { createRequire } from 'node:module';
import type { Diagnostic } from '../model.ts';
import { MAYBE_UNCLEAN_OR_REPLACED, normaliseLineEnds } from '../text/sanitize.ts';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030';

const ENCODING_NAMES: Record<Encoding, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16LE',
  'utf-16be': 'UTF-16BE',
  gb18030: 'GB18030',
};

export type DecodeResult =
  | {
      ok: true;
      text: string;
      encoding: Encoding;
      diagnostics: Diagnostic[];
      /**
       * True when the text holds nothing cleanText removes or changes (a
       * control character, CR, U+FFFE, U+FFFF, a surrogate), apart from a
       * leading BOM: the look that found it plain found that as well.
       */
      clean: boolean;
    }
  | { ok: false; diagnostics: Diagnostic[] };

export interface DecodeOptions {
  /** Files larger than this are rejected. */
  maxBytes: number;
  /** The file's size on disk, when the loader read only its first maxBytes + 1 bytes. */
  size?: number;
}

/** Share of broken sequences below which a file is still read as UTF-8. */
const UTF8_BROKEN_RATIO = 0.1;
/** Share of undecodable sequences above which a GB18030 reading is rejected. */
const GB18030_BROKEN_RATIO = 0.05;
/** Share of C0 control bytes (other than tab, LF, CR, FF, ESC) that marks binary data. */
const CONTROL_BYTE_RATIO = 0.01;

const MAGIC: Array<[string, number[]]> = [
  ['PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG image', [0xff, 0xd8, 0xff]],
  ['GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['PDF document', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['ZIP archive (or Office document)', [0x50, 0x4b, 0x03, 0x04]],
  ['gzip archive', [0x1f, 0x8b]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['WebP image', [0x52, 0x49, 0x46, 0x46]],
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

function lineOfByte(bytes: Uint8Array, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function lineOfChar(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function countReplacement(text: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) {
    if (first === -1) first = i;
    count++;
  }
  return { count, first };
}

function countNonAscii(text: string): number {
  let n = 0;
  for (const ch of text) if (ch.charCodeAt(0) > 0x7f) n++;
  return n;
}

// Module functions rather than closures made per call: the bundle (esbuild's
// keepNames) gives every named closure its name with a defineProperty call,
// once per source.
function diag(source: string, line: number, severity: Diagnostic['severity'], code: string, message: string): Diagnostic {
  return { source, line, severity, code, message };
}

function reject(source: string, line: number, code: string, message: string): DecodeResult {
  return { ok: false, diagnostics: [diag(source, line, 'error', code, message)] };
}

export function decodeSource(bytes: Uint8Array, source: string, options: DecodeOptions): DecodeResult {
  const size = Math.max(options.size ?? 0, bytes.length);
  if (size > options.maxBytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    return reject(source, 1, 'too-large', `file is ${mb(size)}, over the ${mb(options.maxBytes)} limit; skipped`);
  }
  if (bytes.length === 0) return reject(source, 1, 'empty', 'empty file; skipped');

  for (const [kind, magic] of MAGIC) {
    if (startsWith(bytes, magic)) return reject(source, 1, 'binary', `binary file (${kind}), not article text; skipped`);
  }

  let text: string;
  let encoding: Encoding;
  const diagnostics: Diagnostic[] = [];
  // Set when one look found strict UTF-8 text with no control character, CR
  // or U+FFFD: nothing below has anything to do then, and it is the usual case.
  let plain = false;
  // Set when that look found no U+FFFE, U+FFFF or surrogate either (see DecodeResult).
  let clean = false;

  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    text = new TextDecoder(encoding).decode(bytes.subarray(2));
  } else {
    const nul = bytes.indexOf(0);
    if (nul !== -1) return reject(source, lineOfByte(bytes, nul), 'binary', 'binary file (contains NUL bytes); skipped');
    const body = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? bytes.subarray(3) : bytes;
    // Nearly every source is strict UTF-8: decode it first, and count control
    // bytes only when the text has a control character at all. (In UTF-8 a
    // byte below 0x20 is always that character, so the count is the same.)
    const strict = isUtf8(body) ? decodeStrictUtf8(body) : null;
    // One look answers both questions in the usual case; text with, say, an
    // emoji (a surrogate pair) is looked at again for the first.
    clean = strict !== null && !MAYBE_UNCLEAN_OR_REPLACED.test(strict);
    plain = clean || (strict !== null && !MAYBE_SPECIAL.test(strict));
    const controls = plain ? 0 : countControlBytes(bytes);
    if (controls > 8 && controls / bytes.length > CONTROL_BYTE_RATIO) {
      return reject(source, 1, 'binary', 'binary file (many control bytes), not article text; skipped');
    }
    const decoded = strict !== null ? { text: strict, encoding: 'utf-8' as const } : decodeLooseUtf8OrGb18030(body);
    if (!decoded) {
      return reject(source, 1, 'encoding', 'cannot be decoded as UTF-8 or GB18030; skipped (save the file as UTF-8)');
    }
    ({ text, encoding } = decoded);
  }

  text = plain ? withoutBom(text) : normaliseLineEnds(text);
  const broken = plain ? { count: 0, first: -1 } : countReplacement(text);
  if (broken.count > 0) {
    diagnostics.push(
      diag(
        source,
        lineOfChar(text, broken.first),
        'warning',
        'encoding',
        `${broken.count} byte sequence(s) invalid in ${ENCODING_NAMES[encoding]} replaced with U+FFFD`,
      ),
    );
  }
  if (text.trim() === '') return reject(source, 1, 'empty', 'file holds only white space; skipped');
  return { ok: true, text, encoding, diagnostics, clean };
}

/** C0 controls other than tab and LF (what CONTROL_BYTE_RATIO counts, and CR), and U+FFFD. */
const MAYBE_SPECIAL = /[\u0000-\u0008\u000B-\u001F\uFFFD]/;

/** What normaliseLineEnds does to text without a CR. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function countControlBytes(bytes: Uint8Array): number {
  let controls = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) controls++;
  }
  return controls;
}

/**
 * Bytes already known to be strict UTF-8, as TextDecoder would give them
 * (which also drops one more leading BOM). Node's UTF-8 → UTF-16 transcoder
 * is several times faster than TextDecoder on CJK text.
 */
function decodeStrictUtf8(bytes: Uint8Array): string {
  const text = bytes.length === 0 ? '' : transcode(bytes, 'utf8', 'utf16le').toString('utf16le');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * iconv-lite, loaded when the first source that is not UTF-8 comes: its
 * tables are half a megabyte of code that most builds (and every worker
 * thread) would otherwise compile at start-up for nothing.
 */
let iconv: typeof import('iconv-lite') | null = null;

function decodeGb18030(bytes: Uint8Array): string {
  iconv ??= createRequire(import.meta.url)('iconv-lite') as typeof import('iconv-lite');
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030');
}

/** Bytes that are not strict UTF-8: UTF-8 with a few broken bytes, or another encoding? */
function decodeLooseUtf8OrGb18030(bytes: Uint8Array): { text: string; encoding: Encoding } | null {
  const loose = new TextDecoder('utf-8').decode(bytes);
  const brokenUtf8 = countReplacement(loose).count;
  const nonAscii = countNonAscii(loose);
  if (brokenUtf8 / Math.max(1, nonAscii) < UTF8_BROKEN_RATIO) return { text: loose, encoding: 'utf-8' };

  const gb = decodeGb18030(bytes);
  const brokenGb = countReplacement(gb).count;
  if (brokenGb / Math.max(1, countNonAscii(gb)) > GB18030_BROKEN_RATIO) return null;
  return { text: gb, encoding: 'gb18030' };
}
