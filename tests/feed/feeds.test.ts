// The feeds built from the newsroom's samples, read back structurally.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { makeSite, samples, type TestSite } from '../helpers/site.ts';
import { checkJsonFeed11 } from '../helpers/json-feed.ts';
import { xml } from '../helpers/xml.ts';

const NOW = '2026-11-25T12:00:00+08:00';
const BASE = 'http://127.0.0.1:8080';


let site: TestSite;
let rss: string;
let atom: string;
let json: string;

beforeAll(async () => {
  site = await makeSite(await samples());
  await site.build(NOW);
  [rss, atom, json] = await Promise.all([site.read('rss.xml'), site.read('atom.xml'), site.read('feed.json')]);
});

const IDS = {
  report: 'tag:127.0.0.1,2026:000_9a07525249fe1bb1%231',
  roundup: 'tag:127.0.0.1,2026:000_9a07525249fe1bb1%232',
  headless: 'tag:127.0.0.1,2026:003_451ae4ca37857149%231',
};

describe('RSS 2.0', () => {
  it('is well-formed, declares every prefix it uses, and links to itself', () => {
    expect(XMLValidator.validate(rss)).toBe(true);
    const { rss: root } = xml.parse(rss);
    expect(root['@version']).toBe('2.0');
    expect(root['@xmlns:dc']).toBe('http://purl.org/dc/elements/1.1/');
    expect(root['@xmlns:content']).toBe('http://purl.org/rss/1.0/modules/content/');
    expect(root['@xmlns:atom']).toBe('http://www.w3.org/2005/Atom');
    const ch = root.channel;
    expect(ch.title).toBe('山西日报');
    expect(ch.link).toBe(`${BASE}/`);
    expect(ch.language).toBe('zh-CN');
    expect(ch['atom:link']).toEqual({ '@href': `${BASE}/rss.xml`, '@rel': 'self', '@type': 'application/rss+xml' });
  });

  it('lists items newest first with permanent tag: guids and RFC 822 dates with a numeric zone', () => {
    const ch = xml.parse(rss).rss.channel;
    expect(ch.item.map((i: { guid: { '#text': string } }) => i.guid['#text'])).toEqual([IDS.headless, IDS.roundup, IDS.report]);
    for (const i of ch.item) {
      expect(i.guid['@isPermaLink']).toBe('false');
      expect(i.pubDate).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0800$/);
      expect(i.author).toBeUndefined();
    }
    expect(ch.item.map((i: { pubDate: string }) => i.pubDate)).toEqual([
      'Wed, 25 Nov 2026 12:00:00 +0800',
      'Wed, 01 Apr 2026 00:00:00 +0800',
      'Tue, 31 Mar 2026 00:00:00 +0800',
    ]);
    // The feed's date is its newest item's, never the build time.
    expect(ch.lastBuildDate).toBe('Wed, 25 Nov 2026 12:00:00 +0800');
  });

  it('names reporters as dc:creator, places as categories, and carries the whole body', () => {
    const [headless, roundup, report] = xml.parse(rss).rss.channel.item;
    expect(report['dc:creator']).toEqual(['陈俊琦']);
    expect(report.link).toBe(`${BASE}/articles/000_9a07525249fe1bb1-1.html`);
    expect(report.description).toMatch(/^3月29日至31日，省委书记蓝佛安/);
    const body: string = report['content:encoded'];
    expect(body.match(/<p>/g)).toHaveLength(7);
    expect(body).toContain('<p class="byline">本报讯（山西日报记者 陈俊琦）</p>');
    expect(roundup['dc:creator']).toBeUndefined();
    expect(roundup.category).toHaveLength(12);
    expect(roundup.category[0]).toBe('小店区');
    expect(roundup['content:encoded'].match(/<h3>/g)).toHaveLength(12);
    expect(roundup['content:encoded']).toContain('<p class="credit">（以上由李杰华编辑整理）</p>');
    expect(headless.title).toBe('产业链和专业镇是太原工业高质量发展的两大抓手');
  });
});

describe('Atom 1.0', () => {
  it('has plain-text titles, RFC 3339 dates with +08:00, self and alternate links', () => {
    expect(XMLValidator.validate(atom)).toBe(true);
    const feed = xml.parse(atom).feed;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.updated).toBe('2026-11-25T12:00:00+08:00');
    expect(feed.link).toEqual([
      { '@rel': 'alternate', '@href': `${BASE}/` },
      { '@rel': 'self', '@href': `${BASE}/atom.xml` },
    ]);
    expect(feed.entry.map((e: { id: string }) => e.id)).toEqual([IDS.headless, IDS.roundup, IDS.report]);
    const report = feed.entry[2];
    expect(report.title).toEqual({ '#text': '巩固良好态势 发挥比较优势 扩大对外开放 为全省加快推动高质量发展贡献更大力量', '@type': 'text' });
    expect(report.published).toBe('2026-03-31T00:00:00+08:00');
    expect(report.updated).toBe('2026-03-31T00:00:00+08:00');
    expect(report.author).toEqual([{ name: '陈俊琦' }]);
    expect(report.content['@type']).toBe('html');
    // An entry without reporters is credited to the site.
    expect(feed.entry[1].author).toEqual([{ name: '山西日报' }]);
    expect(feed.entry[1].category.map((c: { '@term': string }) => c['@term'])[11]).toBe('中北高新区');
  });
});

describe('JSON Feed 1.1', () => {
  it('follows the 1.1 rules: authors arrays, language, an id on every item', () => {
    expect(checkJsonFeed11(json)).toEqual([]);
    const feed = JSON.parse(json);
    expect(feed.language).toBe('zh-CN');
    expect(feed.items.map((i: { id: string }) => i.id)).toEqual([IDS.headless, IDS.roundup, IDS.report]);
    expect(feed.items[2]).toMatchObject({
      date_published: '2026-03-31T00:00:00+08:00',
      date_modified: '2026-03-31T00:00:00+08:00',
      authors: [{ name: '陈俊琦' }],
      url: `${BASE}/articles/000_9a07525249fe1bb1-1.html`,
    });
  });

  it('the checker itself catches what it is meant to', () => {
    const bad = JSON.stringify({ version: 'https://jsonfeed.org/version/1', title: '', author: {}, items: [{ id: '', url: '/x', date_published: 'Tue, 31 Mar 2026' }, { id: '' }] });
    expect(checkJsonFeed11(bad)).toEqual([
      'version', 'title', 'author is deprecated in 1.1; use authors',
      'items[0].id', 'items[0] has no content', 'items[0].url', 'items[0].date_published',
      'items[1].id', 'items[1].id duplicate', 'items[1] has no content',
    ]);
  });
});

describe('golden files (compared as parsed structure)', () => {
  it.each([
    ['rss.xml', () => rss],
    ['atom.xml', () => atom],
  ])('%s matches the reviewed golden file', async (name, output) => {
    const golden = await readFile(path.join(ROOT, 'tests/fixtures/golden', name), 'utf8');
    expect(xml.parse(output())).toEqual(xml.parse(golden));
  });

  it('feed.json matches the reviewed golden file', async () => {
    const golden = await readFile(path.join(ROOT, 'tests/fixtures/golden/feed.json'), 'utf8');
    expect(JSON.parse(json)).toEqual(JSON.parse(golden));
  });
});
