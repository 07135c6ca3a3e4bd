// Hostile sources: every output stays well-formed, every value survives
// exactly, and nothing in any page can run.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { makeSite } from '../helpers/site.ts';
import { xml } from '../helpers/xml.ts';

const NOW = '2026-11-25T12:00:00+08:00';

const pageParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text' });

/** Elements, attributes and URLs in a parsed page that could run code. */
function activeParts(node: unknown, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((n) => activeParts(n, at));
  if (typeof node !== 'object' || node === null) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@')) {
      if (/^@on/i.test(key)) found.push(`${at} ${key}`);
      if (/^\s*(javascript|data|vbscript):/i.test(String(value)) && /^@(href|src|action|formaction)$/i.test(key)) found.push(`${at} ${key}=${value}`);
    } else if (key !== '#text') {
      if (/^(script|iframe|object|embed|img|svg|math|base|frame)$/i.test(key)) found.push(`${at}/${key}`);
      found.push(...activeParts(value, `${at}/${key}`));
    }
  }
  return found;
}
const TITLE = '<script>alert("x")</script> & ]]> 又一个 ]]> “引号” \'单引号\' &amp;';
const LONG = '很长的标题'.repeat(100);

const SOURCES = {
  'a-markup.md': [
    '---',
    'tags: ["a<b&c\\"d", "]]>"]',
    'author: "A & <B>"',
    '---',
    `# ${TITLE}`,
    '',
    '正文里有 <img src=x onerror=alert(1)> 和 ]]> 还有 &lt; 实体。',
    '',
  ].join('\n'),
  'b-control.txt': '# 控制\u0007字符\u001B标题\n\n正文\u0001。\n',
  'c-long.txt': `# ${LONG}\n\n正文。\n`,
  'd-nodate.txt': '没有日期也没有标题的正文。\n',
  'e-js.md': '---\nlink: "https://example.com/?a=1&b=<2>"\n---\n# 链接\n\n正文。\n',
};

describe('hostile sources', () => {
  it('keep every feed and page well-formed and every value exact', async () => {
    const site = await makeSite(SOURCES);
    const report = await site.build(NOW);
    expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(report.articles).toBe(5);

    for (const f of ['rss.xml', 'atom.xml']) {
      const text = await site.read(f);
      expect(XMLValidator.validate(text), f).toBe(true);
      expect(text).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
      expect(text).not.toMatch(/[\uFDD0-\uFDD2]/);
    }
    const rss = xml.parse(await site.read('rss.xml')).rss.channel.item;
    const atom = xml.parse(await site.read('atom.xml')).feed.entry;
    const json = JSON.parse(await site.read('feed.json')).items;

    const titles = [TITLE, '控制字符标题', LONG, '没有日期也没有标题的正文', '链接'];
    expect(new Set(rss.map((i: { title: string }) => i.title))).toEqual(new Set(titles));
    expect(new Set(atom.map((e: { title: { '#text': string } }) => e.title['#text']))).toEqual(new Set(titles));
    expect(new Set(json.map((i: { title: string }) => i.title))).toEqual(new Set(titles));

    const markup = rss.find((i: { title: string }) => i.title === TITLE);
    expect(markup.category).toEqual(['a<b&c"d', ']]>']);
    expect(markup['dc:creator']).toEqual(['A & <B>']);
    const markupAtom = atom.find((e: { title: { '#text': string } }) => e.title['#text'] === TITLE);
    expect(markupAtom.category.map((c: { '@term': string }) => c['@term'])).toEqual(['a<b&c"d', ']]>']);
    // The body is escaped source text: no markup from the source survives as markup.
    expect(markup['content:encoded']).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(markup['content:encoded']).toContain(']]&gt;');
    expect(markup['content:encoded']).toContain('&amp;lt; 实体');
    const jsonMarkup = json.find((i: { title: string }) => i.title === TITLE);
    expect(jsonMarkup.tags).toEqual(['a<b&c"d', ']]>']);
    expect(json.find((i: { title: string }) => i.title === '链接').external_url).toBe('https://example.com/?a=1&b=<2>');
  });

  it('leaves nothing executable in any page', async () => {
    const site = await makeSite(SOURCES);
    await site.build(NOW);
    const pages = ['index.html', 'archive.html', 'feeds.html', ...(await readdir(path.join(site.dir, 'public', 'articles'))).map((f) => `articles/${f}`)];
    expect(pages).toHaveLength(8);
    for (const p of pages) {
      const html = await site.read(p);
      expect(XMLValidator.validate(html), p).toBe(true);
      expect(activeParts(pageParser.parse(html)), p).toEqual([]);
    }
    const page = await site.read('articles/a-markup-1.html');
    expect(page).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
  });
});
