// Pages from feed items and listings: functions from the model to strings. Pure.
import type { PageItem } from '../feed/items.ts';
import type { Article } from '../model.ts';
import type { Site, SiteView } from '../site/site.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type ArchiveEntry, type ListEntry, articleViewOf } from './views.ts';

export const CONTENT_TEMPLATE = 'partials/content.liquid';

/** An article's body as HTML (feeds and pages share it). */
export function contentRenderer(engine: TemplateEngine): (article: Article) => string {
  return (article) => engine.render(CONTENT_TEMPLATE, { article }).trim();
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
        m = { month, label: `${y}\u5e74${Number(mo)}\u6708`, url: siteUrl(baseUrl, sitePath.archiveMonth(month)), entries: [] };
        months.push(m);
      }
    }
    m.entries.push(e);
  }
  return months.sort((a, b) => (a.month < b.month ? 1 : a.month > b.month ? -1 : 0));
}

export interface PagesInput {
  view: SiteView;
  /** The feed items as the index lists them. */
  lead: ListEntry[];
  /** The archive's months, newest first. */
  months: ArchiveMonth[];
  /** How many articles the site holds. */
  total: number;
}

/** The site paths of the listing pages. */
export const LISTING_PAGES = [sitePath.index, sitePath.archive, sitePath.feedsPage] as const;

/** The small pages that list articles, by site path (LISTING_PAGES): index, archive, feeds page. */
export function renderListingPages(engine: TemplateEngine, site: Site, input: PagesInput): Map<string, string> {
  const { view, lead, months, total } = input;
  return new Map([
    [
      sitePath.index,
      engine.render('index.liquid', {
        site: view,
        page: { title: null, description: site.description, url: view.homeUrl },
        items: lead,
        more: total - lead.length,
      }),
    ],
    [
      sitePath.archive,
      engine.render('archive.liquid', {
        site: view,
        page: { title: '\u5168\u90e8\u6587\u7ae0', url: view.archiveUrl },
        months,
        total,
      }),
    ],
    [
      sitePath.feedsPage,
      engine.render('feeds.liquid', {
        site: view,
        page: { title: '\u8ba2\u9605', url: view.feedsPage },
        items: lead,
      }),
    ],
  ]);
}

/** One month of the archive. */
export function renderArchiveMonth(engine: TemplateEngine, view: SiteView, month: ArchiveMonth): string {
  return engine.render('archive-month.liquid', {
    site: view,
    page: { title: month.label, url: month.url },
    month,
  });
}

function articlePageData(site: Site, item: PageItem): Record<string, unknown> {
  return {
    page: { title: item.article.title, description: item.article.summary, url: item.url },
    item: articleViewOf(item, site.timeZone),
  };
}

/** An article's page. */
export function renderArticlePage(engine: TemplateEngine, site: Site, view: SiteView, item: PageItem): string {
  return engine.render('article.liquid', { site: view, ...articlePageData(site, item) });
}

/**
 * Article pages one after another (a build renders thousands): the same
 * bytes as renderArticlePage, with what shows only the site (its name, feed
 * links, the subscription form) rendered once.
 */
export function articlePageRenderer(engine: TemplateEngine, site: Site, view: SiteView): (item: PageItem) => string {
  const render = engine.renderer('article.liquid', { site: view });
  return (item) => render(articlePageData(site, item));
}
