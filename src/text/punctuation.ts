// The newsroom's export folded full-width punctuation to ASCII. Readers of
// Chinese text expect the full-width forms, so an ASCII , ; : ! ? ( ) that
// touches CJK text is restored; between digits or Latin text it stays
// (1,000 · B-2682 · PPP).

const FULL_WIDTH: Record<string, string> = {
  ',': '\uFF0C',
  ';': '\uFF1B',
  ':': '\uFF1A',
  '!': '\uFF01',
  '?': '\uFF1F',
  '(': '\uFF08',
  ')': '\uFF09',
};

/**
 * Han and kana, and the full-width marks themselves (so that `(扩大),会议`
 * settles). Other CJK punctuation (。、“”) does not count: `&amp;。` keeps
 * its ASCII semicolon.
 */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\uFF01\uFF08\uFF09\uFF0C\uFF1A\uFF1B\uFF1F]/u;

function isCjk(ch: string | undefined): boolean {
  return ch !== undefined && CJK.test(ch);
}

export function restoreFullWidthPunctuation(text: string): string {
  const chars = Array.from(text);
  // Two passes, so that runs like `(扩大),会议` settle: the `)` turns
  // full-width in the first pass and then counts as CJK for the `,`.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      const wide = FULL_WIDTH[ch];
      if (wide === undefined) continue;
      if (isCjk(chars[i - 1]) || isCjk(chars[i + 1])) chars[i] = wide;
    }
  }
  return chars.join('');
}
