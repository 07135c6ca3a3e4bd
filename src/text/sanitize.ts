// Text enters the pipeline here once: line ends normalised and characters that
// XML 1.0 cannot carry removed, so no later stage has to think about them.

/** Characters XML 1.0 forbids (tab and LF allowed), U+FFFE/U+FFFF, and lone surrogates. */
const ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** The same, without `g`, for a yes/no test that keeps no state. */
const HAS_ILLEGAL = new RegExp(ILLEGAL.source);
/**
 * A cheap first look: any character that could be illegal (every surrogate,
 * paired or not). Almost every source has none, and then nothing else is done.
 */
const MAYBE_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
/** What cleanText's first look looks for: MAYBE_ILLEGAL's characters and CR (a regex class body). */
const UNCLEAN = '\\u0000-\\u0008\\u000B-\\u001F\\uFFFE\\uFFFF\\uD800-\\uDFFF';
/** The same first look, taking in CR as well. */
const MAYBE_UNCLEAN = new RegExp(`[${UNCLEAN}]`);
/**
 * cleanText's first look and U+FFFD together, for a decoder that wants to
 * know in one look whether the text is clean (cleanText(text, true) then)
 * and holds no replacement character.
 */
export const MAYBE_UNCLEAN_OR_REPLACED = new RegExp(`[${UNCLEAN}\\uFFFD]`);

export interface Removal {
  /** 1-based line of the text (after line-end normalisation). */
  line: number;
  count: number;
}

/** CRLF and lone CR become LF; a leading BOM is dropped. */
export function normaliseLineEnds(text: string): string {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return withoutBom.includes('\r') ? withoutBom.replace(/\r\n?/g, '\n') : withoutBom;
}

/**
 * normaliseLineEnds, then removeIllegalCharacters: a source's text as the
 * parser takes it, with one look at the text when there is nothing to change.
 * `known`: the caller has looked already and found none of what the look
 * finds (no C0 control but tab and LF, no U+FFFE, U+FFFF or surrogate).
 */
export function cleanText(text: string, known = false): { text: string; removals: Removal[] } {
  if (!known && MAYBE_UNCLEAN.test(text)) return removeIllegalCharacters(normaliseLineEnds(text));
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, removals: [] };
}

/** Removes XML-illegal characters and says on which lines and how many. */
export function removeIllegalCharacters(text: string): { text: string; removals: Removal[] } {
  if (!MAYBE_ILLEGAL.test(text) || !HAS_ILLEGAL.test(text)) return { text, removals: [] };
  const removals: Removal[] = [];
  const lines = text.split('\n');
  const out = lines.map((line, i) => {
    let count = 0;
    const cleaned = line.replace(ILLEGAL, () => {
      count += 1;
      return '';
    });
    if (count > 0) removals.push({ line: i + 1, count });
    return cleaned;
  });
  return { text: out.join('\n'), removals };
}

/** Strips XML-illegal characters from any string (for values that did not come through a source). */
export function stripIllegalCharacters(text: string): string {
  return MAYBE_ILLEGAL.test(text) ? text.replace(ILLEGAL, '') : text;
}
