// Feeds and pages from feed items: one function from the model to files. Pure.
import type { Article } from '../model.ts';
import type { FeedItem, FeedSite } from '../feed/model.ts';
import { FEED_FILES } from '../feed/model.ts';
import { siteUrl } from '../feed/ids.ts';
import { renderJsonFeed } from '../feed/json-feed.ts';
import { renderAtom, renderRss } from '../feed/xml-feeds.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import type { ArchiveEntry, ListEntry, PageSite } from '../pages/views.ts';
import { articleViewOf } from '../pages/views.ts';

export const CONTENT_TEMPLATE = 'partials/content.liquid';

export function contentRenderer(engine: TemplateEngine): (article: Article) => string {
  return (article) => engine.render(CONTENT_TEMPLATE, { article }).trim();
}

export interface SiteInput {
  site: FeedSite;
  pageSite: PageSite;
  engine: TemplateEngine;
  /** The feeds' items: newest first, at most site.itemLimit. */
  feedItems: FeedItem[];
  /** The feed items as the index lists them. */
  lead: ListEntry[];
  /** The archive's months, newest first. */
  months: ArchiveMonth[];
  /** How many articles the site holds. */
  total: number;
}

/** A month of the archive: archive/2026-03.html. */
export interface ArchiveMonth {
  /** YYYY-MM in the site's time zone. */
  month: string;
  /** 2026年3月 */
  label: string;
  url: string;
  entries: ArchiveEntry[];
}

/** Groups archive entries (newest first) by month. */
export function archiveMonths(entries: ArchiveEntry[], baseUrl: string): ArchiveMonth[] {
  const months: ArchiveMonth[] = [];
  for (const e of entries) {
    const month = e.published.slice(0, 7);
    let m = months.at(-1);
    if (m?.month !== month) {
      m = months.find((x) => x.month === month);
      if (!m) {
        const [y, mo] = month.split('-');
        m = { month, label: `${y}\u5e74${Number(mo)}\u6708`, url: siteUrl(baseUrl, `/archive/${month}.html`), entries: [] };
        months.push(m);
      }
    }
    m.entries.push(e);
  }
  return months.sort((a, b) => (a.month < b.month ? 1 : a.month > b.month ? -1 : 0));
}

/** One month of the archive. */
export function renderArchiveMonth(engine: TemplateEngine, _site: FeedSite, pageSite: PageSite, month: ArchiveMonth): string {
  return engine.render('archive-month.liquid', {
    site: pageSite,
    page: { title: month.label, url: month.url },
    month,
  });
}

/** The files every build rewrites: feeds, index, archive, feed page. Paths relative to the output folder. */
export function renderSite(input: SiteInput): Map<string, string> {
  const { site, pageSite, engine, feedItems, lead, months, total } = input;
  return new Map([
    [FEED_FILES.rss, renderRss(site, feedItems)],
    [FEED_FILES.atom, renderAtom(site, feedItems)],
    [FEED_FILES.json, renderJsonFeed(site, feedItems)],
    [
      'index.html',
      engine.render('index.liquid', {
        site: pageSite,
        page: { title: null, description: site.description, url: pageSite.homeUrl },
        items: lead,
        more: total - lead.length,
      }),
    ],
    [
      'archive.html',
      engine.render('archive.liquid', {
        site: pageSite,
        page: { title: '\u5168\u90e8\u6587\u7ae0', url: pageSite.archiveUrl },
        months,
        total,
      }),
    ],
    [
      'feeds.html',
      engine.render('feeds.liquid', {
        site: pageSite,
        page: { title: '\u8ba2\u9605', url: pageSite.feedsPage },
        items: lead,
      }),
    ],
  ]);
}

/** An article's page. */
export function renderArticlePage(engine: TemplateEngine, site: FeedSite, pageSite: PageSite, item: FeedItem): string {
  return engine.render('article.liquid', {
    site: pageSite,
    page: { title: item.article.title, description: item.article.summary, url: item.url },
    item: articleViewOf(item, site.timeZone),
  });
}
