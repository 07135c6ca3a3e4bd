// The page task renders each article page from a page item (a feed item
// without its tag: URI): the bytes must be those of the page rendered from
// the full feed item, as publish rendered them before.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { toFeedItem, toPageItem } from '../../src/feed/items.ts';
import { contentRenderer, renderArticlePage } from '../../src/pages/render.ts';
import { parseInput } from '../../src/parse/input.ts';
import { type PageJob, pageRenderer, setup } from '../../src/publish/page-task.ts';
import { newWriteTurn } from '../../src/publish/write-turn.ts';
import { siteOf, siteViewOf } from '../../src/site/site.ts';
import { createEngine, readTemplates } from '../../src/templates/engine.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const PARSE = { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 1 << 22 };

async function articles() {
  const out = [];
  for (const f of ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt']) {
    const bytes = await readFile(path.join(ROOT, 'articles', f));
    const input = { source: `articles/${f}`, stem: f.replace(/\.\w+$/, ''), bytes, size: bytes.length, firstSeen: '2026-11-25T06:00:00+08:00' };
    out.push(...parseInput(input, PARSE).articles);
  }
  const hostile = Buffer.from('---\ntags: ["a<b", "x\'y"]\nauthor: "A & <B>"\nlink: "https://e.example/?a=1&b=2"\n---\n# <t> & “q”\n——副题\n\n正文 <i>。\n');
  out.push(...parseInput({ source: 'articles/h.md', stem: 'h', bytes: hostile, size: hostile.length, firstSeen: '2026-11-25T06:00:00+08:00' }, PARSE).articles);
  return out;
}

describe('the page task', () => {
  it('renders the bytes of the page rendered from the full feed item', async () => {
    const templatesDir = path.join(ROOT, 'templates');
    const templates = await readTemplates(templatesDir);
    const engine = createEngine(templates, templatesDir);
    const site = siteOf(configSchema.parse({}));
    const view = siteViewOf(site);
    const render = pageRenderer({ templates, templatesDir, site });
    const list = await articles();
    expect(list.length).toBeGreaterThan(2);
    list.forEach((a, i) => {
      const lastChanged = i % 2 ? '2026-11-26T01:00:00Z' : null;
      const feedItem = toFeedItem(a, `p-${i}`, lastChanged, site, contentRenderer(engine));
      const { tagId: _tagId, ...pageItem } = feedItem;
      expect(toPageItem(a, `p-${i}`, lastChanged, site, contentRenderer(engine))).toEqual(pageItem);
      expect(render(a, { file: `articles/p-${i}.html`, slug: `p-${i}`, lastChanged })).toBe(renderArticlePage(engine, site, view, feedItem));
    });
  });

  it('writes each page as the UTF-8 of its rendering, over several turns and pages larger than its encoding buffer, or than it keeps', async () => {
    const templatesDir = path.join(ROOT, 'templates');
    const templates = await readTemplates(templatesDir);
    const site = siteOf(configSchema.parse({}));
    const root = await tempDir('broadsheet-page-task-');
    await mkdir(path.join(root, 'articles'));
    const [first, ...rest] = await articles();
    // 400,000 Chinese characters and astral ones (4 bytes of UTF-8 for 2 code units): more than the first buffer holds.
    const huge = { ...first!, paragraphs: [first!.paragraphs[0]!.replace(/。/g, '。𠮷'), '长'.repeat(400_000), ...first!.paragraphs.slice(1)] };
    const list = [huge, ...rest];
    // 3,000,000 characters (up to 9 MB of UTF-8), once, in the second turn: a buffer of its own, the kept one used again after.
    const giant = { ...first!, paragraphs: ['巨'.repeat(3_000_000)] };
    const batch = Array.from({ length: 150 }, (_, i) => ({
      article: i === 70 ? giant : list[i % list.length]!,
      input: { file: `articles/p-${i}.html`, slug: `p-${i}`, lastChanged: null } satisfies PageJob,
    }));
    const run = setup({ templates, templatesDir, site, root, fresh: true, writeTurn: newWriteTurn() });
    expect(run(batch)).toEqual(batch.map(() => ({ written: true })));
    const render = pageRenderer({ templates, templatesDir, site });
    for (const { article, input } of batch) {
      const bytes = await readFile(path.join(root, input.file));
      expect(bytes.equals(Buffer.from(render(article, input))), input.file).toBe(true);
    }
    expect((await readFile(path.join(root, 'articles/p-0.html'), 'utf8')).includes('长'.repeat(400_000))).toBe(true);
    expect((await readFile(path.join(root, 'articles/p-70.html'), 'utf8')).includes('巨'.repeat(3_000_000))).toBe(true);
  });
});
