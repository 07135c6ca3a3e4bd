// Articles → feed items. Pure.
import type { Article, Diagnostic } from '../model.ts';
import type { ArticleRef } from '../parse/corpus.ts';
import { later, rfc3339 } from './dates.ts';
import { siteUrl, slugOf, tagUri } from './ids.ts';
import type { FeedItem, FeedSite } from './model.ts';

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

/**
 * Gives every article its page name. An article whose page name (compared
 * without case, for case-insensitive file systems) another article already
 * took is left out, with an error naming both.
 */
export function assignSlugs<A extends ArticleRef>(articles: A[]): { kept: A[]; slugs: Map<string, string>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const owner = new Map<string, A>();
  const slugs = new Map<string, string>();
  const kept: A[] = [];
  for (const a of articles) {
    const slug = slugOf(a.id);
    const taken = owner.get(slug.toLowerCase());
    if (taken) {
      diagnostics.push({
        source: a.source,
        line: a.line,
        severity: 'error',
        code: 'duplicate-page',
        message: `article "${a.id}" would have the same page (articles/${slug}.html) as "${taken.id}" (${taken.source}:${taken.line}); left out`,
      });
      continue;
    }
    owner.set(slug.toLowerCase(), a);
    slugs.set(a.id, slug);
    kept.push(a);
  }
  return { kept, slugs, diagnostics };
}

/** Absolute URL of an article's page. */
export function pageUrl(site: FeedSite, slug: string): string {
  return siteUrl(site.baseUrl, `/articles/${slug}.html`);
}

export function toFeedItem(
  article: Article,
  slug: string,
  lastChanged: string | null,
  site: FeedSite,
  renderContent: (article: Article) => string,
): FeedItem {
  const published = rfc3339(article.date, site.timeZone);
  return {
    article,
    tagId: tagUri(site.tagAuthority, site.tagDate, article.id),
    slug,
    url: pageUrl(site, slug),
    published,
    updated: lastChanged ? rfc3339(later(published, lastChanged), site.timeZone) : published,
    authors: authorsOf(article),
    categories: categoriesOf(article),
    contentHtml: renderContent(article),
  };
}

/**
 * Newest first; ties broken by id, so the order never depends on the file
 * system. Each date is parsed once (a comparator would parse it log n times).
 */
export function sortNewestFirst<T extends { date: string; id: string }>(items: T[]): T[] {
  return items
    .map((item) => ({ item, t: Date.parse(item.date) }))
    .sort((a, b) => b.t - a.t || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0))
    .map((x) => x.item);
}
