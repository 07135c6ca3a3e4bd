// Article URLs are spelled without splitting their path; they must be the
// URLs siteUrl gives for the article's site path, which feeds and links keep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slugOf } from '../../src/site/ids.ts';
import { articleUrl, sitePath, siteUrl } from '../../src/site/urls.ts';

describe('articleUrl', () => {
  it('is siteUrl of the article path, for any slug and base', () => {
    const slug = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: fc.constantFrom('a', '汉', '-', '.', '/', '%', '#', '?', ' ', '😀', '\ud800'), maxLength: 20 }),
      fc.string({ maxLength: 30 }).map(slugOf),
    );
    const base = fc.constantFrom('http://127.0.0.1:8080', 'https://news.example/sub', 'https://例子.example');
    fc.assert(
      fc.property(base, slug, (b, s) => {
        let expected: string | Error;
        try {
          expected = siteUrl(b, sitePath.article(s));
        } catch (err) {
          expected = err as Error;
        }
        if (expected instanceof Error) expect(() => articleUrl(b, s)).toThrow(expected.message);
        else expect(articleUrl(b, s)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
