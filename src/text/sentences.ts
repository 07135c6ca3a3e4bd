// Sentence boundaries in Chinese (and Latin) newspaper copy.

/** Marks that end a sentence. */
const FINAL = new Set(['。', '\uFF01', '\uFF1F', '!', '?', '…', '.', '\uFF1B', ';', '\uFF1A', ':']);
/** Closing quotes and brackets that may follow the final mark (……。” / ……。)). */
const CLOSERS = new Set(['”', '’', '」', '』', '》', '\uFF09', ')', '】', '"', "'", '〕']);
/** Marks after which a clause may be cut. */
const CLAUSE = new Set(['\uFF0C', ',', '、', '\uFF1B', ';', '\uFF1A', ':']);

/** Punctuation that a section heading or kicker never contains. */
export const SENTENCE_PUNCTUATION = /[。\uFF01\uFF1F!?…\uFF0C,、\uFF1B;\uFF1A:“”"]/u;

/**
 * True when a paragraph ends a sentence: its last mark, after any closing
 * quotes or brackets, is one of 。!?… (and their kin). `;` and `:` count
 * too: a paragraph that ends with a colon introduces the next one. A
 * paragraph that is wholly a bracketed note, such as (完), is complete.
 */
export function endsSentence(text: string): boolean {
  const trimmed = text.trim();
  if (/^[(\uFF08].*[)\uFF09]$/su.test(trimmed)) return true;
  const chars = Array.from(trimmed);
  let i = chars.length - 1;
  while (i >= 0 && CLOSERS.has(chars[i]!)) i--;
  return i >= 0 && FINAL.has(chars[i]!);
}

/** Splits text into sentences, each keeping its final mark and closers. */
export function splitSentences(text: string): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '。' || ch === '\uFF01' || ch === '\uFF1F' || ch === '!' || ch === '?' || ch === '…') {
      let end = i + 1;
      while (end < chars.length && (chars[end] === '…' || CLOSERS.has(chars[end]!))) end++;
      out.push(chars.slice(start, end).join(''));
      start = end;
      i = end - 1;
    }
  }
  if (start < chars.length) out.push(chars.slice(start).join(''));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Number of user-perceived characters (code points) in a string. */
export function length(text: string): number {
  return Array.from(text).length;
}

/**
 * Cuts text to at most `max` characters at the last clause boundary, or hard
 * at `max - 1` with an ellipsis when there is none.
 */
export function cutAtClause(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  for (let i = max - 1; i >= Math.floor(max / 3); i--) {
    if (CLAUSE.has(chars[i]!)) return chars.slice(0, i).join('') + '…';
  }
  return chars.slice(0, max - 1).join('') + '…';
}

/** Drops a trailing sentence-final mark (for titles cut from a sentence). */
export function stripFinalMark(text: string): string {
  return text.replace(/[。.\uFF01!\uFF1F?\uFF1B;\uFF1A:\uFF0C,、]+$/u, '');
}
