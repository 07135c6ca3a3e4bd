// JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written directly:
// `feed` only writes 1.0.
import { feedSpec } from '../site/feeds.ts';
import type { Site } from '../site/site.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { FeedItem } from './model.ts';

export function renderJsonFeed(site: Site, items: FeedItem[]): string {
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: site.title,
    home_page_url: siteUrl(site.baseUrl, sitePath.home),
    feed_url: siteUrl(site.baseUrl, sitePath.feed(feedSpec('json'))),
    description: site.description,
    language: site.language,
    authors: [{ name: site.author.name, url: siteUrl(site.baseUrl, sitePath.home) }],
    items: items.map((i) => ({
      id: i.tagId,
      url: i.url,
      ...(i.article.link ? { external_url: i.article.link } : {}),
      title: i.article.title,
      content_html: i.contentHtml,
      summary: i.article.summary,
      date_published: i.published,
      date_modified: i.updated,
      authors: (i.authors.length > 0 ? i.authors : [site.author.name]).map((name) => ({ name })),
      ...(i.categories.length > 0 ? { tags: i.categories } : {}),
      ...(i.article.lang ? { language: i.article.lang } : {}),
    })),
  };
  return JSON.stringify(feed, null, 2) + '\n';
}
