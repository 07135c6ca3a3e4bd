// Independent readers of the generated files: xmllint (well-formedness and
// the Atom RELAX NG schema) and Python's feedparser (what feed readers
// recover). These parts must be installed; a missing one fails the test.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuildReport } from '../helpers/site.ts';
import { ROOT } from '../helpers/cli.ts';
import { checkJsonFeed11 } from '../helpers/json-feed.ts';
import { PYTHON, run } from '../helpers/run.ts';
import { makeSite, samples, type TestSite } from '../helpers/site.ts';

const NOW = '2026-11-25T12:00:00+08:00';
const HOSTILE = {
  'h-markup.md': '---\ntags: ["a<b&c\\"d"]\nauthor: "A & <B>"\n---\n# <script>alert("x")</script> & ]]> 又 ]]> “引号”\n\n正文 <img src=x onerror=alert(1)> ]]> &lt;。\n',
  'h-control.txt': '# 控制\u0007字符\n\n正文\u0001。\n',
  'h-long.txt': `# ${'很长的标题'.repeat(60)}\n\n正文。\n`,
  'h-nodate.txt': '没有日期的正文。\n',
};

let site: TestSite;
let report: BuildReport;

beforeAll(async () => {
  site = await makeSite({ ...(await samples()), ...HOSTILE });
  report = await site.build(NOW);
});

async function generatedFiles(): Promise<string[]> {
  const out = path.join(site.dir, 'public');
  const top = (await readdir(out)).filter((f) => /\.(xml|html)$/.test(f));
  const pages = (await readdir(path.join(out, 'articles'))).map((f) => path.join('articles', f));
  return [...top, ...pages].map((f) => path.join(out, f));
}

describe('xmllint', () => {
  it('finds every generated XML and XHTML file well-formed', async () => {
    const files = await generatedFiles();
    expect(files.length).toBe(5 + 7); // rss, atom, index, archive, feeds + one page per article
    const r = await run('xmllint', ['--noout', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('validates atom.xml against the RFC 4287 RELAX NG schema', async () => {
    const schema = path.join(ROOT, 'tests/fixtures/schemas/atom.rng');
    const r = await run('xmllint', ['--noout', '--relaxng', schema, path.join(site.dir, 'public', 'atom.xml')]);
    expect(r.stderr.trim()).toMatch(/ validates$/);
    expect(r.code).toBe(0);
  });
});

describe('feedparser', () => {
  it.each([
    ['rss.xml', 'rss20'],
    ['atom.xml', 'atom10'],
  ])('reads %s with bozo 0 and recovers every title, link, id, date and body exactly', async (file, version) => {
    const r = await run(PYTHON, [path.join(ROOT, 'tests/system/feedparser_read.py'), path.join(site.dir, 'public', file)]);
    expect(r.stderr).toBe('');
    const parsed = JSON.parse(r.stdout);
    expect(parsed.bozo_exception).toBe('');
    expect(parsed.bozo).toBe(false);
    expect(parsed.version).toBe(version);
    expect(parsed.entries).toHaveLength(report.feedItems.length);
    const expected = report.feedItems.map((i) => ({
      id: i.tagId,
      title: i.article.title,
      link: i.url,
      published: Date.parse(i.published) / 1000,
      content: [i.contentHtml],
    }));
    const got = parsed.entries.map((e: Record<string, unknown>) => ({
      id: e.id,
      title: e.title,
      link: e.link,
      published: e.published,
      content: e.content,
    }));
    expect(got).toEqual(expected);
  });
});

describe('JSON Feed', () => {
  it('follows the 1.1 rules with hostile sources too', async () => {
    const text = await site.read('feed.json');
    expect(checkJsonFeed11(text)).toEqual([]);
    expect(JSON.parse(text).items).toHaveLength(report.feedItems.length);
  });
});
