// Compiled templates (src/templates/compile.ts) give LiquidJS's bytes: every
// template the project ships, rendered with the data the pipeline really
// gives it, and small templates over random data, each both ways.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { renderDigest } from '../../src/digest/digest.ts';
import { toFeedItem } from '../../src/feed/items.ts';
import type { Article } from '../../src/model.ts';
import { archiveMonths, articlePageRenderer, contentRenderer, renderArchiveMonth, renderArticlePage, renderListingPages } from '../../src/pages/render.ts';
import { archiveEntryOf, listEntryOf } from '../../src/pages/views.ts';
import { parseInput } from '../../src/parse/input.ts';
import { digestContext } from '../../src/send/edition.ts';
import { siteOf, siteViewOf } from '../../src/site/site.ts';
import { type TemplateEngine, type TemplateSources, createEngine, readTemplates } from '../../src/templates/engine.ts';
import { ROOT } from '../helpers/cli.ts';

const PARSE = { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 1 << 22 };

/** Sources that stress escaping and every optional field. */
const HOSTILE: Record<string, string> = {
  'h-markup.md': '---\ntags: ["a<b&c\\"d", "x\'y"]\nauthor: "A & <B>"\nlink: "https://e.example/?a=1&b=\'2\'"\n---\n# <script>alert("x")</script> & ]]> “引号”\n——副题 <i>\n\n正文 <img src=x onerror=alert(1)> ]]> &lt;。\n',
  'h-nodate.txt': '没有日期的正文。\n',
  'h-empty-lines.txt': '# 标题\n\n\n\n段落一。\n\n段落二。\n',
};

async function articles(): Promise<Article[]> {
  const out: Article[] = [];
  const inputs: Array<[string, Uint8Array]> = [];
  for (const f of ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt']) inputs.push([f, await readFile(path.join(ROOT, 'articles', f))]);
  for (const [f, text] of Object.entries(HOSTILE)) inputs.push([f, Buffer.from(text)]);
  for (const [f, bytes] of inputs) {
    const input = { source: `articles/${f}`, stem: f.replace(/\.\w+$/, ''), bytes, size: bytes.length, firstSeen: '2026-11-25T06:00:00+08:00' };
    out.push(...parseInput(input, PARSE).articles);
  }
  return out;
}

/** An engine that renders through the compiled templates and records what it was asked. */
function recording(engine: TemplateEngine, calls: Array<[string, Record<string, unknown>]>): TemplateEngine {
  return { ...engine, render: (name, data) => (calls.push([name, data]), engine.render(name, data)) };
}

/** An engine over `sources` that compiles, and one that renders everything through LiquidJS. */
function bothWays(sources: TemplateSources): { fast: TemplateEngine; slow: TemplateEngine } {
  return { fast: createEngine(sources), slow: createEngine(sources, 'templates', { compile: false }) };
}

async function engines(): Promise<{ sources: TemplateSources; fast: TemplateEngine; slow: TemplateEngine }> {
  const sources = await readTemplates(path.join(ROOT, 'templates'));
  return { sources, ...bothWays(sources) };
}

describe('compiled templates', () => {
  it('compile every page template the site renders', async () => {
    const { fast, slow } = await engines();
    for (const name of ['article.liquid', 'index.liquid', 'archive.liquid', 'archive-month.liquid', 'feeds.liquid', 'partials/content.liquid']) {
      expect(fast.isCompiled(name), name).toBe(true);
      expect(slow.isCompiled(name), name).toBe(false);
    }
  });

  it('render the pages byte for byte as LiquidJS does', async () => {
    const { fast, slow } = await engines();
    const calls: Array<[string, Record<string, unknown>]> = [];
    const engine = recording(fast, calls);
    const base = siteOf(configSchema.parse({}));
    const odd = siteOf(configSchema.parse({ site: { title: '<山西> & "日报"', description: "它's" } }));
    for (const site of [base, { ...odd, schedules: [{ id: 'a"b', name: '<周报>' }] }, { ...odd, schedules: [] }]) {
      const view = siteViewOf(site);
      const items = (await articles()).map((a, i) => toFeedItem(a, `p-${i}`, i % 2 ? '2026-11-26T01:00:00Z' : null, site, contentRenderer(engine)));
      for (const item of items) renderArticlePage(engine, site, view, item);
      // One renderer for many pages, as the page task does: the same bytes as LiquidJS, page after page.
      const pageOf = articlePageRenderer(fast, site, view);
      for (const item of items) expect(pageOf(item)).toBe(renderArticlePage(slow, site, view, item));
      const lead = items.map((i) => listEntryOf({ ...i.article, authors: i.authors }, i.url, i.published, site.timeZone));
      const months = archiveMonths(items.map((i) => archiveEntryOf(i.article.title, i.url, i.article.date, site.timeZone)), site.baseUrl);
      for (const m of months) renderArchiveMonth(engine, view, m);
      for (const input of [{ lead, total: items.length }, { lead: [], total: 0 }, { lead: lead.slice(0, 1), total: 40 }]) {
        renderListingPages(engine, site, { view, months, ...input });
      }
    }
    expect(new Set(calls.map(([name]) => name))).toEqual(
      new Set(['partials/content.liquid', 'article.liquid', 'archive-month.liquid', 'index.liquid', 'archive.liquid', 'feeds.liquid']),
    );
    for (const [name, data] of calls) expect(fast.render(name, data), name).toBe(slow.render(name, data));
  });

  it('render the digest email byte for byte as LiquidJS does', async () => {
    const { fast, slow } = await engines();
    const calls: Array<[string, Record<string, unknown>]> = [];
    const config = configSchema.parse({ paths: { templates: path.join(ROOT, 'templates') } });
    const ctx = digestContext(config, recording(fast, calls));
    const items = (await articles()).map((a, i) => ({ ...a, id: `${a.id}-${i}` }));
    const { digestItemOf } = await import('../../src/digest/digest.ts');
    const digestItems = items.map((a) => digestItemOf(a, a.id.replace(/[#/]/g, '-'), ctx.site));
    await renderDigest(ctx, { schedule: { id: 'daily', name: '每日要闻' }, at: '2026-11-25T07:00:00+08:00', items: digestItems, webUrl: 'http://x.example/e.html' }, 'n0nce');
    expect(calls.map(([name]) => name)).toEqual(expect.arrayContaining(['digest.mjml', 'digest.txt']));
    for (const [name, data] of calls) expect(fast.render(name, data), name).toBe(slow.render(name, data));
  });

  /** Small templates, one or two constructs each, rendered over random data. */
  const TEMPLATES = [
    '{{ a }}|{{ a.b }}|{{ a["b"] }}|{{ a.size }}|{{ a.first }}|{{ a.last }}|{{ c[0] }}|{{ c[-1] }}|{{ "lit" }}|{{ 3 }}',
    '{{ a | raw }}{{ b | escape }}{{ a | upcase | raw }}{{ c | join: ", " }}{{ b | default: "x" }}{{ c | size }}',
    '{% if a %}A{% elsif b %}B{% else %}C{% endif %}{% unless a %}U{% else %}V{% endunless %}',
    '{% if a == b %}eq{% endif %}{% if a != b %}ne{% endif %}{% if a > b %}gt{% endif %}{% if a <= b %}le{% endif %}{% if c contains a %}in{% endif %}',
    '{% if a and b or not c %}x{% endif %}{% if a == nil %}nil{% endif %}{% if c == empty %}empty{% endif %}{% if b == blank %}blank{% endif %}',
    '{% for x in c %}[{{ forloop.index }}/{{ forloop.length }}{% if forloop.first %}F{% endif %}{% unless forloop.last %},{% endunless %}{{ x }}]{% else %}none{% endfor %}',
    '{% for x in a %}{{ x }}{% endfor %}{% for x in c %}{% for y in c %}{{ x }}{{ y }}{{ forloop.rindex }}{% endfor %}{% endfor %}{{ forloop }}',
    '{%- if a -%}  trimmed  {%- endif -%} {{- b -}} {% comment %}gone {{ a }}{% endcomment %}',
    '{% for x in c limit: 2 %}{{ x }}{% endfor %}{% assign z = a %}{{ z }}',
    '{{ toString }}{{ constructor }}{{ a.constructor }}{{ c.length }}',
  ];
  const value = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(null, undefined, true, false, 0, 1, -1, 2.5, '', ' ', 'b', '<&>"\'', '汉字'),
      fc.string({ maxLength: 6 }),
      fc.integer(),
      fc.array(tie('any'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('b', 'size', 'first', 'last', 'x'), tie('any'), { maxKeys: 3 }),
    ),
  })).any;

  it('render small templates over random data as LiquidJS does, or leave them to LiquidJS', async () => {
    const sources = Object.fromEntries(TEMPLATES.map((t, i) => [`t${i}.liquid`, t]));
    const { fast, slow } = bothWays(sources);
    // The two last ones use assign and limit: left to LiquidJS.
    expect(TEMPLATES.map((_t, i) => fast.isCompiled(`t${i}.liquid`))).toEqual(TEMPLATES.map((_t, i) => i !== 8));
    fc.assert(
      fc.property(fc.record({ a: value, b: value, c: value }), (data) => {
        for (const name of Object.keys(sources)) {
          let expected: string | Error;
          try {
            expected = slow.render(name, data);
          } catch (err) {
            expected = err as Error;
          }
          if (expected instanceof Error) expect(() => fast.render(name, data)).toThrow(expected.message);
          else expect(fast.render(name, data), `${name} ${JSON.stringify(data)}`).toBe(expected);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('render with a constant part of the data as LiquidJS renders the whole, call after call', async () => {
    const sources: Record<string, string> = Object.fromEntries(TEMPLATES.map((t, i) => [`t${i}.liquid`, t]));
    Object.assign(sources, {
      'shadow.liquid': '{% for a in c %}[{{ a }}{{ forloop.index }}]{% endfor %}{{ a }}{% for x in a %}{{ x }}{{ b }}{% for a in b %}{{ a }}{{ x }}{% endfor %}{% endfor %}',
      'loops.liquid': '{% for x in a %}{{ x }}{% else %}{{ b }}{% endfor %}{% for y in b %}{{ a }}{{ y }}{% endfor %}{% if a %}{{ a.x }}{% elsif b %}{{ b }}{% endif %}',
      'calls.liquid': "{% render 'p.liquid', x: a %}|{% render 'p.liquid', x: b %}|{% render 'p.liquid' %}|{% for v in a %}{% render 'p.liquid', x: v %}{% endfor %}",
      'p.liquid': '<{{ x }}{{ a }}{{ b }}{{ x.size }}>',
      'filters.liquid': '{{ a | size }}{{ a | default: b }}{{ a | join: c }}{{ a | escape }}{{ b | raw }}',
      'lay.liquid': "{% layout 'frame.liquid' %}{% block main %}{{ a }}{{ b }}{% endblock %}",
      'frame.liquid': '<h>{{ a }}</h>{% block main %}{% endblock %}<f>{% for x in a %}{{ x }}{% endfor %}{{ b }}</f>',
    });
    const { fast, slow } = bothWays(sources);
    const outcome = (render: () => string): string => {
      try {
        return render();
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    };
    fc.assert(
      fc.property(value, fc.array(fc.record({ b: value, c: value }), { minLength: 1, maxLength: 4 }), (a, calls) => {
        for (const name of Object.keys(sources)) {
          const render = fast.renderer(name, { a });
          for (const data of calls) {
            expect(outcome(() => render(data)), `${name} ${JSON.stringify({ a, ...data })}`).toBe(outcome(() => slow.render(name, { ...data, a })));
          }
        }
      }),
      { numRuns: 300 },
    );
    // The constant's names win over the data's.
    expect(fast.renderer('t0.liquid', { a: 'k' })({ a: 'd', c: [] })).toBe(slow.render('t0.liquid', { a: 'k', c: [] }));
  });

  it('render with a constant that is not plain data as LiquidJS does, rendering everything each time', async () => {
    const sources = { 'd.liquid': '{{ a.n }}{{ a.f }}{{ b }}' };
    const fast = createEngine(sources);
    let n = 0;
    const a = {
      get n() {
        return ++n;
      },
      f: () => n * 10,
    };
    const render = fast.renderer('d.liquid', { a });
    // A getter and a function, read again at each render.
    expect([render({ b: 1 }), render({ b: 2 })]).toEqual(['1101', '2202']);
  });

  it('parse each template at first use when the sources were checked already, with the same bytes', async () => {
    const { sources, fast } = await engines();
    const checked = createEngine(sources, 'templates', { checked: true });
    const site = siteOf(configSchema.parse({}));
    const view = siteViewOf(site);
    const items = (await articles()).map((a, i) => toFeedItem(a, `p-${i}`, null, site, contentRenderer(fast)));
    for (const item of items) expect(renderArticlePage(checked, site, view, item)).toBe(renderArticlePage(fast, site, view, item));
    expect(checked.isCompiled('index.liquid')).toBe(true);
    // A broken template fails where it is used, with its file and line.
    const broken = createEngine({ 'ok.liquid': 'x', 'bad.liquid': '{% if %}' }, 'templates', { checked: true });
    expect(broken.render('ok.liquid', {})).toBe('x');
    expect(() => broken.render('bad.liquid', {})).toThrow(/templates\/bad\.liquid:1: error/);
    expect(() => createEngine({ 'bad.liquid': '{% if %}' })).toThrow(/templates\/bad\.liquid:1: error/);
    expect(() => broken.render('none.liquid', {})).toThrow(/template not found/);
  });

  it('leave layouts in layouts, block.super, and unknown tags to LiquidJS', async () => {
    const sources = {
      'base.liquid': '<b>{% block main %}base{% endblock %}</b>',
      'mid.liquid': "{% layout 'base.liquid' %}{% block main %}mid {{ block.super }}{% endblock %}",
      'child.liquid': "{% layout 'mid.liquid' %}{% block main %}child{% endblock %}",
      'super.liquid': "{% layout 'base.liquid' %}{% block main %}{{ block.super }}!{% endblock %}",
      'plain.liquid': "before{% layout 'base.liquid' %}outside{% block main %}{{ a }}{% endblock %}after",
      'anon.liquid': "{% layout 'hole.liquid' %}outside {{ a }}",
      'hole.liquid': '[{% block %}{% endblock %}]',
    };
    const { fast, slow } = bothWays(sources);
    expect(fast.isCompiled('child.liquid')).toBe(false);
    expect(fast.isCompiled('super.liquid')).toBe(false);
    expect(fast.isCompiled('plain.liquid')).toBe(true);
    expect(fast.isCompiled('anon.liquid')).toBe(true);
    for (const name of Object.keys(sources)) expect(fast.render(name, { a: '<x>' }), name).toBe(slow.render(name, { a: '<x>' }));
  });
});
