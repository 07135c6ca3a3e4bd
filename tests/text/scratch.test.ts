// The reused buffer behind hashing, page encoding and punctuation: large
// enough every time, kept for the next call only up to its limit.
import { describe, expect, it } from 'vitest';
import { Scratch, utf8Bound } from '../../src/text/scratch.ts';

describe('Scratch', () => {
  it('hands back the same buffer while it is large enough, keeps a larger one up to the limit, and not beyond', () => {
    const s = new Scratch(16, 64);
    const first = s.take(10);
    expect(first.length).toBe(16);
    expect(s.take(16)).toBe(first);
    const grown = s.take(40);
    expect(grown.length).toBe(40);
    expect(s.take(20)).toBe(grown);
    const once = s.take(100);
    expect(once.length).toBe(100);
    expect(s.take(30)).toBe(grown);
  });

  it('bounds the UTF-8 of any string', () => {
    for (const text of ['', 'abc', '中文标点，', '𠮷😀', '\uD800x', 'é'.repeat(1000)]) {
      expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(utf8Bound(text));
    }
  });
});
