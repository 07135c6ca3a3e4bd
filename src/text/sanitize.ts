// Text enters the pipeline here once: line ends normalised and characters that
// XML 1.0 cannot carry removed, so no later stage has to think about them.

/** Characters XML 1.0 forbids (tab and LF allowed), U+FFFE/U+FFFF, and lone surrogates. */
const ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface Removal {
  /** 1-based line of the text (after line-end normalisation). */
  line: number;
  count: number;
}

/** CRLF and lone CR become LF; a leading BOM is dropped. */
export function normaliseLineEnds(text: string): string {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return withoutBom.replace(/\r\n?/g, '\n');
}

/** Removes XML-illegal characters and says on which lines and how many. */
export function removeIllegalCharacters(text: string): { text: string; removals: Removal[] } {
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
  return text.replace(ILLEGAL, '');
}
