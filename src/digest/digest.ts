// An edition's digest email: rendered once (Liquid → MJML → HTML, and a
// plain-text part from the same data), kept under the size budget, with
// per-subscriber placeholders filled in later for almost nothing.
import { authorsOf } from '../feed/items.ts';
import { type MjmlRenderer, type RenderedMail, renderMail } from '../mail/render.ts';
import { placeholders } from '../mail/placeholders.ts';
import type { Article } from '../model.ts';
import { chineseDate, rfc3339 } from '../site/dates.ts';
import type { Site, SiteView } from '../site/site.ts';
import { articleUrl, sitePath, tokenUrl } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';

export interface DigestContext {
  engine: TemplateEngine;
  mjml: MjmlRenderer;
  site: Site;
  view: SiteView;
  /** Liquid pattern over site, schedule, date, lead, more, count. */
  subjectPattern: string;
  /** The HTML part stays under this many bytes, per-subscriber values included. */
  budgetBytes: number;
  templatesDir?: string;
}

export interface DigestEdition {
  schedule: { id: string; name: string };
  /** The moment the edition was frozen (RFC 3339). */
  at: string;
  /** Every item of the edition, newest first. */
  items: DigestItem[];
  /** The edition on the web: every item, no budget. */
  webUrl: string;
}

export interface RenderedDigest extends RenderedMail {
  subject: string;
  /** Items shown in the email; the rest are behind 「还有 N 篇，查看全部」. */
  shown: number;
  total: number;
  /** Size of the HTML part for the longest per-subscriber values. */
  htmlBytes: number;
}

/** Invisible characters after the preheader, so clients don't fill the preview with the body's text. */
const PREHEADER_PAD = '\u034F\u200C\u00A0'.repeat(90);

/** What the email shows of an article. */
export interface DigestItem {
  id: string;
  title: string;
  kicker: string | null;
  /** The article's page. */
  url: string;
  /** RFC 3339 with the site's offset. */
  published: string;
  authors: string[];
  summary: string;
  /** A roundup's places. */
  sections: string[];
}

export function digestItemOf(article: Article, slug: string, site: Site): DigestItem {
  return {
    id: article.id,
    title: article.title,
    kicker: article.kicker,
    url: articleUrl(site.baseUrl, slug),
    published: rfc3339(article.date, site.timeZone),
    authors: authorsOf(article),
    summary: article.summary,
    sections: article.sections.map((s) => s.heading),
  };
}

function itemView(item: DigestItem, timeZone: string) {
  const date = chineseDate(item.published, timeZone);
  return {
    id: item.id,
    title: item.title,
    kicker: item.kicker,
    url: item.url,
    meta: item.authors.length > 0 ? `${item.authors.join('\u3001')} · ${date}` : date,
    summary: item.summary,
    sections: item.sections,
  };
}

/** As long as any subscriber's token. */
const WORST_TOKEN = `v1.u.${'0'.repeat(32)}.0.${'x'.repeat(43)}`;

/** The longest values a subscriber can bring: a 100-character name, a 254-character address. */
function worstCase(site: Site, nonce: string): Record<string, string> {
  return {
    [placeholders(nonce).name]: '\u540D'.repeat(100),
    [placeholders(nonce).email]: `${'x'.repeat(240)}@example.com`,
    [placeholders(nonce).unsubscribe_url]: tokenUrl(site.baseUrl, sitePath.unsubscribe, WORST_TOKEN),
    [placeholders(nonce).preferences_url]: tokenUrl(site.baseUrl, sitePath.preferences, WORST_TOKEN),
  };
}

function bytesWithWorstCase(html: string, site: Site, nonce: string): number {
  let bytes = Buffer.byteLength(html);
  for (const [ph, value] of Object.entries(worstCase(site, nonce))) {
    const n = html.split(ph).length - 1;
    // Values are HTML-escaped when filled; these samples have nothing to escape.
    bytes += n * (Buffer.byteLength(value) - Buffer.byteLength(ph));
  }
  return bytes;
}

export function digestSubject(ctx: DigestContext, edition: DigestEdition): string {
  const lead = edition.items[0];
  return ctx.engine.renderText(ctx.subjectPattern, {
    site: ctx.site.title,
    schedule: edition.schedule.name,
    date: chineseDate(edition.at, ctx.site.timeZone),
    lead: lead?.title ?? '',
    more: Math.max(0, edition.items.length - 1),
    count: edition.items.length,
  });
}

/**
 * Renders the digest with as many of the newest items as fit the budget.
 * `web` renders the edition's web page instead: every item, no budget, no
 * per-subscriber lines.
 */
export async function renderDigest(
  ctx: DigestContext,
  edition: DigestEdition,
  nonce: string,
  options: { web: boolean } = { web: false },
): Promise<RenderedDigest> {
  const { site } = ctx;
  const subject = digestSubject(ctx, edition);
  const total = edition.items.length;
  const views = edition.items.map((i) => itemView(i, site.timeZone));
  const date = chineseDate(edition.at, site.timeZone);
  const base = {
    site: ctx.view,
    schedule: edition.schedule,
    subject,
    preheader: (edition.items[0]?.summary ?? subject) + PREHEADER_PAD,
    date,
    masthead: `${edition.schedule.name} · ${date}`,
    total,
    webUrl: edition.webUrl,
    web: options.web,
  };
  const cache = new Map<number, RenderedMail & { bytes: number }>();
  const render = async (shown: number) => {
    let r = cache.get(shown);
    if (!r) {
      const mail = await renderMail(
        ctx.engine,
        ctx.mjml,
        { mjml: 'digest.mjml', text: 'digest.txt' },
        { ...base, items: views.slice(0, shown), more: total - shown },
        nonce,
        ctx.templatesDir,
      );
      r = { ...mail, bytes: bytesWithWorstCase(mail.html, site, nonce) };
      cache.set(shown, r);
    }
    return r;
  };
  const done = (shown: number, r: RenderedMail & { bytes: number }): RenderedDigest => ({
    nonce: r.nonce,
    html: r.html,
    text: r.text,
    subject,
    shown,
    total,
    htmlBytes: r.bytes,
  });

  const all = await render(total);
  if (options.web || all.bytes <= ctx.budgetBytes || total === 0) return done(total, all);

  // Too big: estimate how many items fit from the size of an item, then
  // step to the largest count that does.
  const none = await render(0);
  const perItem = Math.max(1, (all.bytes - none.bytes) / total);
  let shown = Math.max(0, Math.min(total - 1, Math.floor((ctx.budgetBytes - none.bytes) / perItem)));
  while (shown > 0 && (await render(shown)).bytes > ctx.budgetBytes) shown--;
  while (shown + 1 < total && (await render(shown + 1)).bytes <= ctx.budgetBytes) shown++;
  return done(shown, await render(shown));
}
