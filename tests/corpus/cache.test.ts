// The hashes the parse cache and the store keep: they must never change for
// the same input, whatever way they are computed (a changed hash makes every
// item look edited after an upgrade).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashArticle, sha256 } from '../../src/corpus/cache.ts';
import type { Article } from '../../src/model.ts';

/** The definition: each part, then a NUL, fed to one SHA-256. */
function reference(...parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}

const part = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', '汉', '\u0000', '\ud800', '\udc00', '😀', '\uffff'), maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);

describe('sha256', () => {
  it('hashes each part followed by a NUL, strings as UTF-8 (lone surrogates as U+FFFD)', () => {
    fc.assert(fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        expect(sha256(...parts)).toBe(reference(...parts));
      }), { numRuns: 2000 });
  });

  it('gives the same digest for parts larger than the reused buffer, and after them', () => {
    const big = '汉'.repeat(400_000);
    const bytes = new Uint8Array(3_000_000).map((_, i) => i % 251);
    expect(sha256(big, bytes, 'x')).toBe(reference(big, bytes, 'x'));
    expect(sha256('汉'.repeat(100_000))).toBe(reference('汉'.repeat(100_000)));
    expect(sha256('a', 'b')).toBe(reference('a', 'b'));
    expect(sha256()).toBe(reference());
  });
});

describe('hashArticle', () => {
  it('is the SHA-256 of the JSON of the article without its place (source, line)', () => {
    const article: Article = {
      id: 'a#1', source: 'articles/a.txt', line: 3, kicker: null, title: '标题 "q" \\ <b>', titleDerived: false, subtitle: null,
      byline: { outlet: null, reporters: ['甲'], contributors: [], text: '本报讯' }, dateline: '3月1日', date: '2026-03-01T00:00:00+08:00',
      dateSource: 'dateline', editor: null, editorCredit: null, author: '甲', tags: ['t\u0001'], summary: 's\ud800', link: null, lang: null,
      paragraphs: ['一\n二', '😀'], sections: [{ heading: 'h', paragraphs: ['p'] }],
    };
    const { source: _s, line: _l, ...content } = article;
    expect(hashArticle(article)).toBe(reference(JSON.stringify(content)));
    expect(hashArticle({ ...article, source: 'elsewhere.txt', line: 9 })).toBe(hashArticle(article));
  });
});
