// Full-width punctuation restored next to CJK text: the single-pass rewrite
// against the rule as first written (two passes over the characters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { restoreFullWidthPunctuation } from '../../src/text/punctuation.ts';

const FULL_WIDTH: Record<string, string> = { ',': '，', ';': '；', ':': '：', '!': '！', '?': '？', '(': '（', ')': '）' };
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}！（），：；？]/u;

/** The rule as first written: two left-to-right passes over the characters, changing them in place. */
function reference(text: string): string {
  const chars = Array.from(text);
  const isCjk = (ch: string | undefined) => ch !== undefined && CJK.test(ch);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < chars.length; i++) {
      const wide = FULL_WIDTH[chars[i]!];
      if (wide !== undefined && (isCjk(chars[i - 1]) || isCjk(chars[i + 1]))) chars[i] = wide;
    }
  }
  return chars.join('');
}

describe('restoreFullWidthPunctuation', () => {
  it.each([
    ['甲,乙', '甲，乙'],
    ['投资1,000万元', '投资1,000万元'],
    ['B-2682号(PPP)项目', 'B-2682号（PPP）项目'],
    ['区委常委会(扩大)会议', '区委常委会（扩大）会议'],
    // `)` turns first, and then counts as CJK for the `,` after it.
    ['(扩大),会议', '（扩大），会议'],
    // A run of marks after CJK text turns whole; before CJK text, only its last two.
    ['甲?!?!', '甲？！？！'],
    ['a?!?!甲', 'a?!？！甲'],
    ['a!甲', 'a！甲'],
    ['好!', '好！'],
    ['&amp;。', '&amp;。'],
    ['ひらがな,カタカナ', 'ひらがな，カタカナ'],
    ['', ''],
    [',', ','],
    ['no marks here', 'no marks here'],
  ])('%j → %j', (input, output) => {
    expect(restoreFullWidthPunctuation(input)).toBe(output);
    expect(reference(input)).toBe(output);
  });

  it('reads a surrogate pair as one character on either side of a mark', () => {
    // 𠀀 (U+20000) is Han, outside the BMP; 😀 is not CJK.
    expect(restoreFullWidthPunctuation('𠀀,x')).toBe('𠀀，x');
    expect(restoreFullWidthPunctuation('x,𠀀')).toBe('x，𠀀');
    expect(restoreFullWidthPunctuation('😀,x')).toBe('😀,x');
    expect(restoreFullWidthPunctuation('😀,甲')).toBe('😀，甲');
  });

  it('never takes a lone surrogate for CJK, nor half a pair for a character', () => {
    expect(restoreFullWidthPunctuation('\uD840,x')).toBe('\uD840,x');
    expect(restoreFullWidthPunctuation('x,\uDC00')).toBe('x,\uDC00');
    expect(restoreFullWidthPunctuation('\uDC00,\uD840')).toBe('\uDC00,\uD840');
    expect(restoreFullWidthPunctuation('甲,\uD840')).toBe('甲，\uD840');
  });

  it('leaves the string alone when nothing changes', () => {
    const text = 'Latin, only: (yes)!';
    expect(restoreFullWidthPunctuation(text)).toBe(text);
  });

  it('handles a paragraph longer than its scratch buffer', () => {
    const long = '甲,'.repeat(100_000) + 'a,b';
    expect(restoreFullWidthPunctuation(long)).toBe('甲，'.repeat(100_000) + 'a,b');
  });

  it('agrees with the two-pass rule on any text', () => {
    const piece = fc.oneof(
      fc.constantFrom(',', ';', ':', '!', '?', '(', ')', '，', '（', '）', '。', '、', '…', '”'),
      fc.constantFrom('甲', '乙', 'ひ', 'カ', '𠀀', '😀', 'a', '1', ' ', '\n', '\uD840', '\uDC00', '한'),
      fc.string({ maxLength: 3, unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(restoreFullWidthPunctuation(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});
