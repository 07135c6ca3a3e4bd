// The digest email on the sample articles, read back as HTML and text.
import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/digest/digest.ts';
import { checkMjmlTemplate, mjmlToHtml } from '../../src/mail/mjml.ts';
import { personaliser } from '../../src/mail/render.ts';
import { MjmlError } from '../../src/errors.ts';
import { digestFixture, sampleArticles } from '../helpers/digest.ts';

const AT = '2026-11-25T07:00:00+08:00';
const WEB = 'http://127.0.0.1:8080/editions/daily-20261125-0700.html';
const SCHEDULE = { id: 'daily', name: '每日要闻' };
const NONCE = '0123abcd';

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('digest', () => {
  it('lists every item once, newest first, with kicker, title link, byline, summary, places and a button', async () => {
    const f = await digestFixture();
    const items = (await sampleArticles()).map((a) => f.item(a));
    const d = await renderDigest(f.ctx, { schedule: SCHEDULE, at: AT, items, webUrl: WEB }, NONCE);
    expect(d).toMatchObject({ shown: 3, total: 3 });
    const { html, text } = personaliser(d)({ name: '读者', email: 'reader@example.com', unsubscribe_url: 'https://x.example/unsubscribe?token=t' });
    const textLines = text.split('\n');
    for (const [i, item] of items.entries()) {
      const escapedTitle = item.title.replace(/"/g, '&quot;');
      expect(count(html, `>${escapedTitle}</a>`), item.title).toBe(1);
      // A derived title is also the summary's first sentence, so count the title lines.
      expect(textLines.filter((l) => l === `【${i + 1}】${item.title}`)).toHaveLength(1);
      // The URL is on the title and on the 阅读全文 button; once in the text.
      expect(count(html, `href="${item.url}"`)).toBe(2);
      expect(count(text, item.url)).toBe(1);
    }
    expect(html).toContain('蓝佛安在晋城调研时强调');
    expect(html).toContain('陈俊琦 · 2026年3月31日');
    expect(html).toContain('小店区 · 尖草坪区 · 古交市');
    expect(count(html, '阅读全文')).toBe(3);
    expect(html).toContain('<html lang="zh-CN"');
    expect(html).not.toMatch(/<\/?mj-/);
    expect(html).toContain('2026年11月25日');
    expect(html).toContain('读者您好');
    expect(d.subject).toBe(`山西日报·每日要闻 2026年11月25日：${items[0]!.title}（另有 2 篇）`);
    // Footer: why, one-click unsubscribe, the web edition, the feeds, the site.
    expect(html).toContain('是因为 reader@example.com 订阅了山西日报的「每日要闻」');
    expect(html).toContain('href="https://x.example/unsubscribe?token=t"');
    expect(html).toContain(`href="${WEB}"`);
    expect(html).toContain('href="http://127.0.0.1:8080/feed.json"');
    expect(text).toContain('一键退订：https://x.example/unsubscribe?token=t');
    expect(text).not.toMatch(/<[a-z]/);
  });

  it('escapes titles with markup in HTML and keeps them as they are in text', async () => {
    const f = await digestFixture();
    const [a] = await sampleArticles();
    const item = f.item({ ...a!, title: 'A <b>&amp; "quoted" ]]>', kicker: '<script>x</script>' });
    const d = await renderDigest(f.ctx, { schedule: SCHEDULE, at: AT, items: [item], webUrl: WEB }, NONCE);
    const { html, text } = personaliser(d)({});
    expect(html).toContain('A &lt;b&gt;&amp;amp; &#34;quoted&#34; ]]&gt;');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script>x');
    expect(text).toContain('A <b>&amp; "quoted" ]]>');
  });

  it('escapes a hostile subscriber value in every context', async () => {
    const f = await digestFixture();
    const items = (await sampleArticles()).map((a) => f.item(a));
    const d = await renderDigest(f.ctx, { schedule: SCHEDULE, at: AT, items, webUrl: WEB }, NONCE);
    const evil = '"><script>alert(1)</script>';
    const { html, text } = personaliser(d)({ name: evil, email: `x${evil}@example.com`, unsubscribe_url: `https://x.example/u?t=${evil}` });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;您好');
    expect(html).toContain('href="https://x.example/u?t=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(text).toContain(`${evil}您好`);
  });

  it('keeps 200 items under the size budget, newest first, and links to the rest', async () => {
    const f = await digestFixture();
    const articles = await sampleArticles();
    const items = Array.from({ length: 200 }, (_, i) => f.item(articles[i % 3]!, i));
    const d = await renderDigest(f.ctx, { schedule: SCHEDULE, at: AT, items, webUrl: WEB }, NONCE);
    expect(d.total).toBe(200);
    expect(d.shown).toBeGreaterThan(5);
    expect(d.shown).toBeLessThan(200);
    const longest = personaliser(d)({ name: '名'.repeat(100), email: `${'x'.repeat(240)}@example.com`, unsubscribe_url: `http://127.0.0.1:8080/unsubscribe?token=v1.u.${'0'.repeat(32)}.0.${'x'.repeat(43)}`, preferences_url: `http://127.0.0.1:8080/preferences?token=v1.u.${'0'.repeat(32)}.0.${'x'.repeat(43)}` });
    expect(Buffer.byteLength(longest.html)).toBeLessThanOrEqual(80 * 1024);
    expect(d.htmlBytes).toBe(Buffer.byteLength(longest.html));
    // The newest items are the ones kept, in order; the footer is always there.
    for (const item of items.slice(0, d.shown)) expect(longest.html).toContain(`>${item.title.replace(/"/g, '&quot;')}</a>`);
    expect(longest.html).not.toContain(`${items[d.shown]!.title.replace(/"/g, '&quot;')}</a>`);
    expect(longest.html).toContain(`还有 ${200 - d.shown} 篇，<a href="${WEB}">查看全部</a>`);
    expect(longest.html).toContain('一键退订');
    expect(longest.text).toContain(`还有 ${200 - d.shown} 篇，查看全部：${WEB}`);
    // One more item would not have fitted.
    const bigger = await renderDigest({ ...f.ctx, budgetBytes: Number.MAX_SAFE_INTEGER }, { schedule: SCHEDULE, at: AT, items: items.slice(0, d.shown + 1), webUrl: WEB }, NONCE);
    expect(bigger.htmlBytes).toBeGreaterThan(80 * 1024);
  });

  it('renders the web edition with every item and no per-subscriber lines', async () => {
    const f = await digestFixture();
    const articles = await sampleArticles();
    const items = Array.from({ length: 40 }, (_, i) => f.item(articles[i % 3]!, i));
    const web = await renderDigest(f.ctx, { schedule: SCHEDULE, at: AT, items, webUrl: WEB }, NONCE, { web: true });
    expect(web.shown).toBe(40);
    expect(web.html).not.toContain('%%bs-');
    expect(web.html).not.toContain('一键退订');
    expect(web.html).toContain('订阅「每日要闻」');
  });
});

describe('MJML templates', () => {
  it('every MJML template and partial passes MJML strict validation', async () => {
    const f = await digestFixture();
    const mjml = Object.entries(f.engine.sources).filter(([n]) => n.endsWith('.mjml'));
    expect(mjml.map(([n]) => n).sort()).toEqual(['confirm.mjml', 'digest.mjml', 'email/digest-item.mjml', 'email/head.mjml', 'email/masthead.mjml']);
    for (const [name, source] of mjml) await checkMjmlTemplate(source, `templates/${name}`);
  });

  it('reports a broken template with its file, line and the validator message', async () => {
    const broken = ['<mjml>', '  <mj-body>', '    <mj-section>', '      <mj-column>', '        <mj-text colr="red">{{ x }}</mj-text>', '      </mj-column>', '    </mj-section>', '  </mj-body>', '</mjml>'].join('\n');
    await expect(checkMjmlTemplate(broken, 'templates/digest.mjml')).rejects.toThrow(
      new MjmlError('templates/digest.mjml:5: error: <mj-text> Attribute colr is illegal (MJML validator)'),
    );
    await expect(checkMjmlTemplate('{% if a %}\n<mj-text fnot-size="3px">x</mj-text>\n{% endif %}', 'templates/p.mjml')).rejects.toThrow('templates/p.mjml:2: error: <mj-text> Attribute fnot-size is illegal');
    await expect(mjmlToHtml('<mjml><mj-body><mj-bogus /></mj-body></mjml>', 'x.mjml')).rejects.toThrow(MjmlError);
  });
});
