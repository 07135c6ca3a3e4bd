// The hashes the parse cache and the store keep: they must never change for
// the same input, whatever way they are computed (a changed hash makes every
// item look edited after an upgrade).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FolderParseCache, type ManifestSource, hashArticle, sha256, shardOf } from '../../src/corpus/cache.ts';
import { tempDir } from '../helpers/tmp.ts';
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

describe('the parse cache manifest, in shards', () => {
  const entry = (n: number): ManifestSource => ({ size: n, mtimeMs: 1000 + n, key: `k${n}`, rejected: false, articles: [[`s${n}#1`, 1, `标题${n}`, '2026-03-01T00:00:00+08:00', `h${n}`]], diagnostics: [] });
  const sources = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, n) => [`articles/s${n}.txt`, entry(n)]));
  const shardFile = (dir: string, source: string) => path.join(dir, 'manifest', `${shardOf(source).toString(16).padStart(2, '0')}.json`);

  it('reads back what was written, whole or only the shards of some sources', async () => {
    const dir = await tempDir('broadsheet-cache-');
    const all = sources(300);
    await new FolderParseCache(dir).writeManifest({ version: 7, parseKey: 'p', sources: all });
    const whole = await new FolderParseCache(dir).readManifest('p');
    expect(whole.sources).toEqual(all);
    expect(whole.writtenAtOf('articles/s1.txt')).toBe((await stat(shardFile(dir, 'articles/s1.txt'))).mtimeMs);
    // Some: theirs, and the other sources of their shards, not the rest.
    const some = await new FolderParseCache(dir).readManifest('p', ['articles/s1.txt', 'articles/s2.txt']);
    expect(some.sources['articles/s1.txt']).toEqual(all['articles/s1.txt']);
    expect(some.sources['articles/s2.txt']).toEqual(all['articles/s2.txt']);
    const shards = new Set([shardOf('articles/s1.txt'), shardOf('articles/s2.txt')]);
    expect(Object.keys(some.sources).sort()).toEqual(Object.keys(all).filter((s) => shards.has(shardOf(s))).sort());
    // Another parser's manifest is none.
    expect((await new FolderParseCache(dir).readManifest('other')).sources).toEqual({});
  });

  it('writes only the shards whose entries changed, and after a partial read, no other', async () => {
    const dir = await tempDir('broadsheet-cache-');
    await new FolderParseCache(dir).writeManifest({ version: 7, parseKey: 'p', sources: sources(300) });
    const files = async () => new Map(await Promise.all((await readdir(path.join(dir, 'manifest'))).map(async (f) => [f, (await stat(path.join(dir, 'manifest', f))).ino] as const)));
    const before = await files();
    // A whole read, one entry changed: one shard written again (a new file: a new inode).
    const cache = new FolderParseCache(dir);
    const m = await cache.readManifest('p');
    m.sources['articles/s7.txt'] = { ...m.sources['articles/s7.txt']!, size: 99 };
    await cache.writeManifest(m);
    const after = await files();
    const rewritten = [...after].filter(([f, ino]) => before.get(f) !== ino).map(([f]) => f);
    expect(rewritten).toEqual([path.basename(shardFile(dir, 'articles/s7.txt'))]);
    // A partial read written back with one change: that shard only; the others keep their entries.
    const partial = new FolderParseCache(dir);
    const p = await partial.readManifest('p', ['articles/s9.txt']);
    p.sources['articles/s9.txt'] = { ...p.sources['articles/s9.txt']!, size: 98 };
    await partial.writeManifest(p);
    const now = (await new FolderParseCache(dir).readManifest('p')).sources;
    expect(Object.keys(now)).toHaveLength(300);
    expect(now['articles/s7.txt']!.size).toBe(99);
    expect(now['articles/s9.txt']!.size).toBe(98);
    // A source gone from a whole read: its shard written without it.
    const third = new FolderParseCache(dir);
    const t = await third.readManifest('p');
    delete t.sources['articles/s5.txt'];
    await third.writeManifest(t);
    expect(Object.keys((await new FolderParseCache(dir).readManifest('p')).sources)).toHaveLength(299);
  });

  it('writes each shard in path order, whatever order the entries came in', async () => {
    const dir = await tempDir('broadsheet-cache-');
    const all = sources(300);
    const reversed = Object.fromEntries(Object.entries(all).reverse());
    await new FolderParseCache(dir).writeManifest({ version: 7, parseKey: 'p', sources: reversed });
    for (const f of await readdir(path.join(dir, 'manifest'))) {
      const keys = Object.keys((JSON.parse(await readFile(path.join(dir, 'manifest', f), 'utf8')) as { sources: object }).sources);
      expect(keys).toEqual([...keys].sort());
      expect(keys.length).toBeGreaterThan(0);
    }
  });

  it('removes the single-file manifest of earlier versions when it writes', async () => {
    const dir = await tempDir('broadsheet-cache-');
    await writeFile(path.join(dir, 'manifest.json'), '{"version":6}');
    await new FolderParseCache(dir).writeManifest({ version: 7, parseKey: 'p', sources: sources(3) });
    expect(existsSync(path.join(dir, 'manifest.json'))).toBe(false);
  });
});
