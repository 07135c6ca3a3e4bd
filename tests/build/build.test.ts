// `build` end to end on a temp folder with a real SQLite store: determinism,
// stable ids, incremental work, bad sources.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { makeSite, samples } from '../helpers/site.ts';

const T1 = '2026-11-25T12:00:00+08:00';
const T2 = '2026-11-26T09:30:00+08:00';
const T3 = '2026-11-27T10:00:00+08:00';
const FILES = ['rss.xml', 'atom.xml', 'feed.json', 'index.html', 'archive.html', 'feeds.html', 'articles/000_9a07525249fe1bb1-1.html'];

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (n) => n === 'entry' });

async function snapshot(site: Awaited<ReturnType<typeof makeSite>>): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await site.read(f)])));
}

describe('build', () => {
  it('gives byte-identical files when built twice from the same sources, even later', async () => {
    const site = await makeSite(await samples());
    await site.build(T1);
    const first = await snapshot(site);
    const again = await site.build(T2);
    expect(await snapshot(site)).toEqual(first);
    expect(again.changedFiles).toEqual([]);
    expect(again.reparsed).toBe(0);
    expect(again.pagesWritten).toBe(0);
  });

  it('publishes the stylesheet the XML feeds name, so a static host serves it', async () => {
    const site = await makeSite(await samples());
    await site.build(T1);
    const rss = await site.read('rss.xml');
    const href = /<\?xml-stylesheet type="text\/xsl" href="([^"]+)"\?>/.exec(rss)?.[1];
    expect(href).toBe('feed.xsl');
    expect(await site.read(href!)).toBe(await readFile(path.join(ROOT, 'templates', 'feed.xsl'), 'utf8'));
  });

  it('keeps ids when an article is edited and moves only its updated date', async () => {
    const site = await makeSite(await samples());
    await site.build(T1);
    const before = parser.parse(await site.read('atom.xml')).feed;
    const source = (await samples())['000_9a07525249fe1bb1.txt']!;
    const edited = Buffer.from(source).toString('utf8').replace('副省长杨勤荣、熊继军参加。', '副省长杨勤荣、熊继军参加调研。');
    await site.write({ '000_9a07525249fe1bb1.txt': edited });
    const report = await site.build(T2);
    expect(report.reparsed).toBe(1);
    expect(report.pagesWritten).toBe(1); // the roundup in the same file did not change
    const after = parser.parse(await site.read('atom.xml')).feed;
    expect(after.entry.map((e: { id: string }) => e.id)).toEqual(before.entry.map((e: { id: string }) => e.id));
    const report1 = (f: typeof after) => f.entry.find((e: { id: string }) => e.id.endsWith('%231') && e.id.includes('000_'));
    expect(report1(after).published).toBe('2026-03-31T00:00:00+08:00');
    expect(report1(before).updated).toBe('2026-03-31T00:00:00+08:00');
    expect(report1(after).updated).toBe('2026-11-26T09:30:00+08:00');
    expect(after.updated).toBe('2026-11-26T09:30:00+08:00');
    const json = JSON.parse(await site.read('feed.json'));
    const item = json.items.find((i: { id: string }) => i.id === 'tag:127.0.0.1,2026:000_9a07525249fe1bb1%231');
    expect(item).toMatchObject({ date_published: '2026-03-31T00:00:00+08:00', date_modified: '2026-11-26T09:30:00+08:00' });
    // Unchanged items keep their dates.
    const roundup = json.items.find((i: { id: string }) => i.id.endsWith('%232'));
    expect(roundup.date_modified).toBe('2026-04-01T00:00:00+08:00');
  });

  it('does not count a new spelling of the articles folder, or a moved line, as an edit', async () => {
    const site = await makeSite({ 'a.txt': '# 甲\n\n正文。\n' });
    await site.build(T1);
    const before = JSON.parse(await site.read('feed.json')).items[0];
    await site.write({ 'a.txt': '\n\n# 甲\n\n正文。\n' });
    const r = await site.build(T2, { articles: path.relative(process.cwd(), path.join(site.dir, 'articles')) });
    expect(r.reparsed).toBe(1);
    const after = JSON.parse(await site.read('feed.json')).items[0];
    expect(after).toEqual(before);
    expect(after.date_modified).toBe('2026-11-25T12:00:00+08:00');
  });

  it('dates a headless source by when it was first seen, for ever', async () => {
    const site = await makeSite({ 'a.txt': '没有标题的正文。\n' });
    await site.build(T1);
    await site.write({ 'b.txt': '另一篇。\n' });
    await site.build(T3);
    const items = JSON.parse(await site.read('feed.json')).items;
    expect(items.map((i: { title: string; date_published: string }) => [i.title, i.date_published])).toEqual([
      ['另一篇', '2026-11-27T10:00:00+08:00'],
      ['没有标题的正文', '2026-11-25T12:00:00+08:00'],
    ]);
  });

  it('reports a rejected source and still publishes the others', async () => {
    const site = await makeSite({
      ...(await samples()),
      'broken.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    });
    const report = await site.build(T1);
    expect(report.rejected).toEqual([path.join(site.dir, 'articles', 'broken.txt')]);
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(1);
    expect(JSON.parse(await site.read('feed.json')).items).toHaveLength(3);
  });

  it('rejects the second of two files with the same front-matter id, naming both', async () => {
    const site = await makeSite({
      'a.md': '---\nid: same\n---\n# 甲\n\n正文。\n',
      'b.md': '---\nid: same\n---\n# 乙\n\n正文。\n',
    });
    const report = await site.build(T1);
    const error = report.diagnostics.find((d) => d.code === 'duplicate-id')!;
    expect(error.source).toBe(path.join(site.dir, 'articles', 'b.md'));
    expect(error.message).toContain(path.join(site.dir, 'articles', 'a.md'));
    expect(JSON.parse(await site.read('feed.json')).items.map((i: { title: string }) => i.title)).toEqual(['甲']);
  });

  it('rejects two ids that would share a page', async () => {
    const site = await makeSite({
      'a.md': '---\nid: x-1\n---\n# 甲\n\n正文。\n',
      'x.md': '# 乙\n\n正文。\n',
    });
    const report = await site.build(T1);
    expect(report.diagnostics).toContainEqual(expect.objectContaining({ code: 'duplicate-page', severity: 'error' }));
    expect(report.articles).toBe(1);
  });

  it('removes the page of an article whose source is gone', async () => {
    const site = await makeSite({ 'a.txt': '# 甲\n\n正文。\n', 'b.txt': '# 乙\n\n正文。\n' });
    await site.build(T1);
    await rm(path.join(site.dir, 'articles', 'b.txt'));
    const report = await site.build(T2);
    expect(report.changedFiles).toContain('articles/b-1.html');
    expect(await readdir(path.join(site.dir, 'public', 'articles'))).toEqual(['a-1.html']);
  });

  it('treats the build cache as disposable: deleting it changes no output', async () => {
    const site = await makeSite(await samples());
    await site.build(T1);
    const first = await snapshot(site);
    await rm(path.join(site.dir, 'data', 'cache'), { recursive: true });
    const report = await site.build(T2);
    expect(report.reparsed).toBe(2);
    expect(await snapshot(site)).toEqual(first);
  });

  it('re-parses when a file changes without changing size or mtime order (content hash)', async () => {
    const site = await makeSite({ 'a.txt': '# 甲\n\n正文一。\n' });
    await site.build(T1);
    await writeFile(path.join(site.dir, 'articles', 'a.txt'), '# 乙\n\n正文二。\n');
    const report = await site.build(T2);
    expect(report.reparsed).toBe(1);
    expect(JSON.parse(await site.read('feed.json')).items[0].title).toBe('乙');
  });
});
