// Articles → feed items. Pure.
import type { Article } from '../model.ts';
import { later, rfc3339 } from '../site/dates.ts';
import { tagUri } from '../site/ids.ts';
import type { Site } from '../site/site.ts';
import { articleUrl } from '../site/urls.ts';
import type { FeedItem } from './model.ts';

/** The reporters one by one, or the front matter author. */
export function authorsOf(a: Pick<Article, 'author' | 'byline'>): string[] {
  const reporters = a.byline?.reporters ?? [];
  if (a.author === null) return [];
  return reporters.length > 0 && a.author === reporters.join('\u3001') ? reporters : [a.author];
}

/** Tags, then a roundup's places. */
export function categoriesOf(a: Pick<Article, 'tags' | 'sections'>): string[] {
  // Most articles have neither (this runs for every page).
  if (a.tags.length === 0 && a.sections.length === 0) return [];
  return [...new Set([...a.tags, ...a.sections.map((s) => s.heading)])];
}

/**
 * What an article page shows of a feed item: all of it but the tag: URI,
 * which only the feeds carry (and which costs as much to build as the dates).
 */
export type PageItem = Omit<FeedItem, 'tagId'>;

/** A feed item without its tag: URI: what an article page is rendered from. */
export function toPageItem(
  article: Article,
  slug: string,
  lastChanged: string | null,
  site: Site,
  renderContent: (article: Article) => string,
): PageItem {
  const published = rfc3339(article.date, site.timeZone);
  return {
    article,
    slug,
    url: articleUrl(site.baseUrl, slug),
    published,
    updated: lastChanged ? rfc3339(later(published, lastChanged), site.timeZone) : published,
    authors: authorsOf(article),
    categories: categoriesOf(article),
    contentHtml: renderContent(article),
  };
}

export function toFeedItem(
  article: Article,
  slug: string,
  lastChanged: string | null,
  site: Site,
  renderContent: (article: Article) => string,
): FeedItem {
  const item = toPageItem(article, slug, lastChanged, site, renderContent);
  // Spelled out rather than spread: a spread copy is several times slower here.
  return {
    article,
    tagId: tagUri(site.tagAuthority, site.tagDate, article.id),
    slug,
    url: item.url,
    published: item.published,
    updated: item.updated,
    authors: item.authors,
    categories: item.categories,
    contentHtml: item.contentHtml,
  };
}
