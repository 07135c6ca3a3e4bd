// The newsroom's export folded full-width punctuation to ASCII. Readers of
// Chinese text expect the full-width forms, so an ASCII , ; : ! ? ( ) that
// touches CJK text is restored; between digits or Latin text it stays
// (1,000 · B-2682 · PPP).
//
// This runs over every paragraph of every source, so it is a single pass over
// code units with a lookup table rather than a regex test per character.
import { Scratch } from './scratch.ts';

/**
 * Han and kana, and the full-width marks themselves (so that `(扩大),会议`
 * settles). Other CJK punctuation (。、“”) does not count: `&amp;。` keeps
 * its ASCII semicolon.
 */
const CJK = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\uFF01\uFF08\uFF09\uFF0C\uFF1A\uFF1B\uFF1F]$/u;

/** The ASCII marks that have a full-width form: , ; : ! ? ( ) — all below 0x40. */
const ASCII_MARK = new Uint8Array(0x40);
for (const mark of ',;:!?()') ASCII_MARK[mark.charCodeAt(0)] = 1;
const ANY_ASCII_MARK = /[,;:!?()]/;

/**
 * Whether each BMP code point is CJK, filled in on first sight from the
 * regex above so that the table agrees with it exactly (0 unknown, 1 no, 2 yes).
 */
const bmpCjk = new Uint8Array(0x10000);

function isAsciiMark(unit: number): boolean {
  return unit < 0x40 && ASCII_MARK[unit] === 1;
}

function isCjkCodePoint(codePoint: number): boolean {
  // Astral code points (CJK extension B and beyond) are rare: the regex decides each time.
  if (codePoint > 0xffff) return CJK.test(String.fromCodePoint(codePoint));
  let known = bmpCjk[codePoint]!;
  if (known === 0) {
    // A lone surrogate is a character of its own and never CJK.
    known = codePoint < 0xd800 || codePoint > 0xdfff ? (CJK.test(String.fromCharCode(codePoint)) ? 2 : 1) : 1;
    bmpCjk[codePoint] = known;
  }
  return known === 2;
}

/** Whether the character that ends just before code unit `i` is CJK. */
function cjkBefore(text: string, i: number): boolean {
  if (i === 0) return false;
  const unit = text.charCodeAt(i - 1);
  if (unit >= 0xdc00 && unit <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return isCjkCodePoint(((high - 0xd800) << 10) + (unit - 0xdc00) + 0x10000);
  }
  return isCjkCodePoint(unit);
}

/** Whether the character that starts at code unit `i` is CJK. */
function cjkAt(text: string, i: number): boolean {
  if (i >= text.length) return false;
  const unit = text.charCodeAt(i);
  if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return isCjkCodePoint(((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000);
  }
  return isCjkCodePoint(unit);
}

/** Reused between calls for the code units of a paragraph being changed (up to 64K units; a longer one gets its own). */
const scratch = new Scratch(1 << 17, 1 << 17);

/**
 * The rule, as first written: scan the characters twice, left to right; an
 * ASCII mark turns full-width when the character before or after it (as it
 * stands at that moment) is CJK. Two passes settle runs like `(扩大),会议`.
 *
 * Worked out for a run of adjacent ASCII marks between a character L and a
 * character R (neither an ASCII mark, so neither ever changes): when L is
 * CJK the whole run turns full-width in the first pass, each mark seeing its
 * widened left neighbour; otherwise, when R is CJK, the last mark turns in
 * the first pass and the one before it in the second, and no other; otherwise
 * nothing turns. That is what is done here, one run at a time.
 */
export function restoreFullWidthPunctuation(text: string): string {
  let i = text.search(ANY_ASCII_MARK);
  if (i === -1) return text;
  // The text as UTF-16LE bytes, copied only once a mark is to change.
  let bytes: Buffer | null = null;
  for (; i < text.length; i++) {
    if (!isAsciiMark(text.charCodeAt(i))) continue;
    let end = i + 1;
    while (end < text.length && isAsciiMark(text.charCodeAt(end))) end++;
    const from = cjkBefore(text, i) ? i : cjkAt(text, end) ? Math.max(i, end - 2) : end;
    for (let k = from; k < end; k++) {
      if (bytes === null) {
        bytes = scratch.take(text.length * 2);
        bytes.write(text, 'utf16le');
      }
      // `,` U+002C → `，` U+FF0C: the same low byte less 0x20, high byte 0xFF.
      bytes[2 * k] = text.charCodeAt(k) - 0x20;
      bytes[2 * k + 1] = 0xff;
    }
    i = end;
  }
  return bytes === null ? text : bytes.toString('utf16le', 0, text.length * 2);
}
