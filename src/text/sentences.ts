// Sentence boundaries in Chinese (and Latin) newspaper copy.
//
// These run over every paragraph of every source, so they walk UTF-16 code
// units and never split a string into an array of characters. That is exact:
// every mark below is one BMP code unit, and no such unit can be half of a
// surrogate pair. Where a limit counts characters (length, cutAtClause), it
// counts code points as Array.from does: a surrogate pair is one character,
// and so is a lone surrogate.

/** Marks that end a sentence: 。!?… (full-width and ASCII). */
const SENTENCE_END = /[。\uFF01\uFF1F!?…]/g;
/** Closing quotes and brackets that may follow the final mark (……。” / ……。)). */
const CLOSERS = new Set(Array.from('”’」』》\uFF09)】"\'〕', (c) => c.charCodeAt(0)));
/** Marks that end a sentence, or a paragraph that introduces the next (`;` `:`). */
const FINAL = new Set(Array.from('。\uFF01\uFF1F!?….\uFF1B;\uFF1A:', (c) => c.charCodeAt(0)));
/** Marks after which a clause may be cut. */
const CLAUSE = new Set(Array.from('\uFF0C,、\uFF1B;\uFF1A:', (c) => c.charCodeAt(0)));
/** Marks a title cut from a sentence should not end with. */
const TRAILING_MARK = new Set(Array.from('。.\uFF01!\uFF1F?\uFF1B;\uFF1A:\uFF0C,、', (c) => c.charCodeAt(0)));

const ELLIPSIS = 0x2026;

/** Punctuation that a section heading or kicker never contains. */
export const SENTENCE_PUNCTUATION = /[。\uFF01\uFF1F!?…\uFF0C,、\uFF1B;\uFF1A:“”"]/u;

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Code units taken by the code point starting at `i`: 2 for a surrogate pair, else 1. */
function unitsAt(text: string, i: number): 1 | 2 {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

/**
 * True when a paragraph ends a sentence: its last mark, after any closing
 * quotes or brackets, is one of 。!?… (and their kin). `;` and `:` count
 * too: a paragraph that ends with a colon introduces the next one. A
 * paragraph that is wholly a bracketed note, such as (完), is complete.
 */
export function endsSentence(text: string): boolean {
  const trimmed = text.trim();
  const last = trimmed.length - 1;
  if (last >= 1) {
    const open = trimmed.charCodeAt(0);
    const close = trimmed.charCodeAt(last);
    if ((open === 0x28 || open === 0xff08) && (close === 0x29 || close === 0xff09)) return true;
  }
  let i = last;
  while (i >= 0 && CLOSERS.has(trimmed.charCodeAt(i))) i--;
  return i >= 0 && FINAL.has(trimmed.charCodeAt(i));
}

/**
 * The end (exclusive) of the sentence that starts at `start`: after its final
 * mark and any further ellipses or closers, or the end of the text.
 */
export function sentenceEnd(text: string, start: number): number {
  SENTENCE_END.lastIndex = start;
  if (!SENTENCE_END.test(text)) return text.length;
  let end = SENTENCE_END.lastIndex;
  while (end < text.length) {
    const unit = text.charCodeAt(end);
    if (unit !== ELLIPSIS && !CLOSERS.has(unit)) break;
    end++;
  }
  return end;
}

/** Splits text into sentences, each keeping its final mark and closers. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = sentenceEnd(text, start);
    const sentence = text.slice(start, end).trim();
    if (sentence !== '') out.push(sentence);
    start = end;
  }
  return out;
}

/** The first sentence of a text (as splitSentences would give it), or ''. */
export function firstSentence(text: string): string {
  for (let start = 0; start < text.length; ) {
    const end = sentenceEnd(text, start);
    const sentence = text.slice(start, end).trim();
    if (sentence !== '') return sentence;
    start = end;
  }
  return '';
}

/** Number of user-perceived characters (code points) in a string. */
export function length(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      count--;
      i++;
    }
  }
  return count;
}

/** `length(text) <= max`, without counting a long paragraph through. */
export function lengthAtMost(text: string, max: number): boolean {
  // A code point is one or two code units.
  if (text.length <= max) return true;
  if (text.length > 2 * max) return false;
  return length(text) <= max;
}

/**
 * Cuts text to at most `max` (≥ 1) characters at the last clause boundary, or
 * hard at `max - 1` with an ellipsis when there is none.
 */
export function cutAtClause(text: string, max: number): string {
  if (lengthAtMost(text, max)) return text;
  // One walk over the first `max` characters: the text is cut at the last
  // clause mark among characters floor(max / 3) … max - 1 (the mark dropped),
  // or else after its first max - 1 characters.
  const lowest = Math.floor(max / 3);
  let clauseAt = -1;
  let hardCut = 0;
  let unit = 0;
  for (let index = 0; index < max; index++) {
    if (index === max - 1) hardCut = unit;
    if (index >= lowest && CLAUSE.has(text.charCodeAt(unit))) clauseAt = unit;
    unit += unitsAt(text, unit);
  }
  return text.slice(0, clauseAt !== -1 ? clauseAt : hardCut) + '…';
}

/** Drops trailing sentence-final marks (for titles cut from a sentence). */
export function stripFinalMark(text: string): string {
  let end = text.length;
  while (end > 0 && TRAILING_MARK.has(text.charCodeAt(end - 1))) end--;
  return end === text.length ? text : text.slice(0, end);
}
