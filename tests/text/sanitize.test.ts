// Line ends and XML-illegal characters, with the quick first look that skips
// clean text: it must never skip text that needs cleaning.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText, normaliseLineEnds, removeIllegalCharacters, stripIllegalCharacters } from '../../src/text/sanitize.ts';

// Written independently of src/text/sanitize.ts on purpose.
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const piece = fc.oneof(
  fc.constantFrom('甲', 'ab', '😀', '\n', '\r', '\r\n', '\t', '\uFEFF', '\uFFFD', '\uFFFE', '\uFFFF', '\u0000', '\u0001', '\u000B', '\u001F'),
  fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uD800\uDC00'),
  fc.string({ maxLength: 4, unit: 'binary' }),
);
const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

describe('cleanText', () => {
  it('is normaliseLineEnds then removeIllegalCharacters', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(cleanText(s)).toEqual(removeIllegalCharacters(normaliseLineEnds(s)));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns clean text as it is, less one BOM', () => {
    expect(cleanText('甲\n乙😀')).toEqual({ text: '甲\n乙😀', removals: [] });
    expect(cleanText('\uFEFF\uFEFF甲')).toEqual({ text: '\uFEFF甲', removals: [] });
  });

  it('says where it removed characters', () => {
    expect(cleanText('甲\r\n乙\u0001\uD800丙\r丁\uFFFF')).toEqual({
      text: '甲\n乙丙\n丁',
      removals: [
        { line: 2, count: 2 },
        { line: 3, count: 1 },
      ],
    });
  });
});

describe('removeIllegalCharacters and stripIllegalCharacters', () => {
  it('remove exactly the illegal characters, keeping pairs', () => {
    fc.assert(
      fc.property(text, (s) => {
        const expected = s.replace(ILLEGAL, '');
        expect(stripIllegalCharacters(s)).toBe(expected);
        expect(removeIllegalCharacters(s).text).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normaliseLineEnds', () => {
  it('turns CRLF and CR into LF and drops one leading BOM', () => {
    expect(normaliseLineEnds('\uFEFFa\r\nb\rc\n')).toBe('a\nb\nc\n');
    expect(normaliseLineEnds('a\n\r\n')).toBe('a\n\n');
    expect(normaliseLineEnds('plain')).toBe('plain');
  });
});
