// Feeds and pages from feed items: one function from the model to files. Pure.
import type { Article } from '../model.ts';
import type { FeedItem, FeedSite } from '../feed/model.ts';
import { FEED_FILES } from '../feed/model.ts';
import { renderJsonFeed } from '../feed/json-feed.ts';
import { renderAtom, renderRss } from '../feed/xml-feeds.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type ListEntry, type PageSite, articleViewOf } from '../pages/views.ts';

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
  /** Every article, newest first. */
  listing: ListEntry[];
}

/** The files every build rewrites: feeds, index, archive, feed page. Paths relative to the output folder. */
export function renderSite(input: SiteInput): Map<string, string> {
  const { site, pageSite, engine, feedItems, listing } = input;
  const lead = listing.slice(0, site.itemLimit);
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
        more: listing.length - lead.length,
        archiveUrl: `${site.baseUrl}/archive.html`,
      }),
    ],
    [
      'archive.html',
      engine.render('archive.liquid', {
        site: pageSite,
        page: { title: '\u5168\u90e8\u6587\u7ae0', url: `${site.baseUrl}/archive.html` },
        items: listing,
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
