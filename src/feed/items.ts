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
  return [...new Set([...a.tags, ...a.sections.map((s) => s.heading)])];
}

export function toFeedItem(
  article: Article,
  slug: string,
  lastChanged: string | null,
  site: Site,
  renderContent: (article: Article) => string,
): FeedItem {
  const published = rfc3339(article.date, site.timeZone);
  return {
    article,
    tagId: tagUri(site.tagAuthority, site.tagDate, article.id),
    slug,
    url: articleUrl(site.baseUrl, slug),
    published,
    updated: lastChanged ? rfc3339(later(published, lastChanged), site.timeZone) : published,
    authors: authorsOf(article),
    categories: categoriesOf(article),
    contentHtml: renderContent(article),
  };
}
