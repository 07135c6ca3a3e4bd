// Sentence boundaries and character counts, on code units in the code and on
// code points (Array.from) in the references here: they must agree, surrogate
// pairs and lone surrogates included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutAtClause,
  endsSentence,
  firstSentence,
  length,
  lengthAtMost,
  splitSentences,
  stripFinalMark,
} from '../../src/text/sentences.ts';

const ENDERS = new Set(['。', '！', '？', '!', '?', '…']);
const CLOSERS = new Set(['”', '’', '」', '』', '》', '）', ')', '】', '"', "'", '〕']);
const FINAL = new Set(['。', '！', '？', '!', '?', '…', '.', '；', ';', '：', ':']);
const CLAUSE = new Set(['，', ',', '、', '；', ';', '：', ':']);

// The functions as first written, on arrays of code points.
const reference = {
  splitSentences(text: string): string[] {
    const chars = Array.from(text);
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < chars.length; i++) {
      if (!ENDERS.has(chars[i]!)) continue;
      let end = i + 1;
      while (end < chars.length && (chars[end] === '…' || CLOSERS.has(chars[end]!))) end++;
      out.push(chars.slice(start, end).join(''));
      start = end;
      i = end - 1;
    }
    if (start < chars.length) out.push(chars.slice(start).join(''));
    return out.map((s) => s.trim()).filter((s) => s.length > 0);
  },
  endsSentence(text: string): boolean {
    const trimmed = text.trim();
    if (/^[(（].*[)）]$/su.test(trimmed)) return true;
    const chars = Array.from(trimmed);
    let i = chars.length - 1;
    while (i >= 0 && CLOSERS.has(chars[i]!)) i--;
    return i >= 0 && FINAL.has(chars[i]!);
  },
  cutAtClause(text: string, max: number): string {
    const chars = Array.from(text);
    if (chars.length <= max) return text;
    for (let i = max - 1; i >= Math.floor(max / 3); i--) {
      if (CLAUSE.has(chars[i]!)) return chars.slice(0, i).join('') + '…';
    }
    return chars.slice(0, max - 1).join('') + '…';
  },
  stripFinalMark: (text: string) => text.replace(/[。.！!？?；;：:，,、]+$/u, ''),
};

const piece = fc.oneof(
  fc.constantFrom('。', '！', '？', '!', '?', '…', '.', '；', ';', '：', ':', '，', ',', '、', '”', '」', '）', ')', '"', '(', '（'),
  fc.constantFrom('甲', '乙丙', '𠀀', '😀', '👍🏽', 'ab', ' ', '\u3000', '\n', '\uD800', '\uDC00'),
  fc.string({ maxLength: 3, unit: 'binary' }),
);
const text = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));

describe('length', () => {
  it('counts code points: a pair is one character, a lone surrogate one too', () => {
    expect(length('')).toBe(0);
    expect(length('甲乙')).toBe(2);
    expect(length('𠀀字')).toBe(2);
    expect(length('😀👍🏽')).toBe(3); // the skin tone is a code point of its own
    expect(length('\uD800\uD800\uDC00')).toBe(2);
    expect(length('\uDC00\uD800')).toBe(2);
  });

  it('agrees with Array.from, and lengthAtMost with it', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 80 }), (s, max) => {
        expect(length(s)).toBe(Array.from(s).length);
        expect(lengthAtMost(s, max)).toBe(Array.from(s).length <= max);
      }),
    );
  });
});

describe('splitSentences and firstSentence', () => {
  it('keeps the final mark, ellipses and closers with the sentence', () => {
    expect(splitSentences('他说:“好。”然后走了……。) 最后')).toEqual(['他说:“好。”', '然后走了……', '。)', '最后']);
    expect(splitSentences('  ')).toEqual([]);
    expect(splitSentences('𠀀字。😀!')).toEqual(['𠀀字。', '😀!']);
    expect(firstSentence(' 。第二句。')).toBe('。');
    expect(firstSentence('')).toBe('');
  });

  it('agree with the code-point version', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(splitSentences(s)).toEqual(reference.splitSentences(s));
        expect(firstSentence(s)).toBe(reference.splitSentences(s)[0] ?? '');
      }),
    );
  });
});

describe('endsSentence', () => {
  it.each([
    ['好。', true],
    ['他说:“好。”', true],
    ['(完)', true],
    ['（完）', true],
    ['如下:', true],
    ['未完,', false],
    ['蓝佛安来', false],
    ['(', false],
    ['𠀀。', true],
    ['。𠀀', false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(endsSentence(s)).toBe(expected);
  });

  it('agrees with the code-point version', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(endsSentence(s)).toBe(reference.endsSentence(s));
      }),
    );
  });
});

describe('cutAtClause', () => {
  it('cuts at the last clause mark in reach, else hard with an ellipsis', () => {
    expect(cutAtClause('甲'.repeat(10), 10)).toBe('甲'.repeat(10));
    expect(cutAtClause('甲甲甲,乙乙乙乙乙乙乙乙', 10)).toBe('甲甲甲…');
    expect(cutAtClause('甲,乙乙乙乙乙乙乙乙乙乙', 10)).toBe('甲,乙乙乙乙乙乙乙…'); // the comma is before max / 3
    expect(cutAtClause('甲'.repeat(11), 10)).toBe('甲'.repeat(9) + '…');
  });

  it('counts a surrogate pair as one character and never splits it', () => {
    expect(cutAtClause('𠀀'.repeat(11), 10)).toBe('𠀀'.repeat(9) + '…');
    expect(cutAtClause('😀'.repeat(4) + ',' + '😀'.repeat(8), 10)).toBe('😀'.repeat(4) + '…');
  });

  it('agrees with the code-point version', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 50 }), (s, max) => {
        expect(cutAtClause(s, max)).toBe(reference.cutAtClause(s, max));
      }),
    );
  });
});

describe('stripFinalMark', () => {
  it('drops every trailing mark and nothing else', () => {
    expect(stripFinalMark('标题。')).toBe('标题');
    expect(stripFinalMark('标题!?。,')).toBe('标题');
    expect(stripFinalMark('标题”。')).toBe('标题”');
    expect(stripFinalMark('。。')).toBe('');
    expect(stripFinalMark('𠀀。')).toBe('𠀀');
  });

  it('agrees with the regex it replaced', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(stripFinalMark(s)).toBe(reference.stripFinalMark(s));
      }),
    );
  });
});
