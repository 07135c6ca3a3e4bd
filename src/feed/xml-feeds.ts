// RSS 2.0 and Atom 1.0 through the `feed` package, behind the guard layer.
import { Feed, type Item } from 'feed';
import { rfc3339, rfc822 } from '../site/dates.ts';
import { feedSpec } from '../site/feeds.ts';
import { tagUri } from '../site/ids.ts';
import type { Site } from '../site/site.ts';
import { outputFile, sitePath, siteUrl } from '../site/urls.ts';
import type { FeedItem } from './model.ts';
import { escapeHtml } from '../text/html.ts';
import { finishXml, guardText } from './xml-guard.ts';

/** When a feed has no items, its date is this fixed moment rather than the build time. */
const EMPTY_FEED_DATE = '1970-01-01T00:00:00Z';

/** The feed's own date: the newest item's update, never the build time. */
export function feedUpdated(items: FeedItem[]): string {
  return items.reduce((max, i) => (Date.parse(i.updated) > Date.parse(max) ? i.updated : max), EMPTY_FEED_DATE);
}

function feedUrl(site: Site, format: 'rss' | 'atom' | 'json'): string {
  return siteUrl(site.baseUrl, sitePath.feed(feedSpec(format)));
}

function baseFeed(site: Site, items: FeedItem[]): Feed {
  return new Feed({
    id: tagUri(site.tagAuthority, site.tagDate, 'feed'),
    title: guardText(site.title),
    description: guardText(site.description),
    link: siteUrl(site.baseUrl, sitePath.home),
    language: site.language,
    copyright: guardText(site.copyright),
    updated: new Date(feedUpdated(items)),
    generator: 'broadsheet',
    feedLinks: {
      rss: feedUrl(site, 'rss'),
      atom: feedUrl(site, 'atom'),
      json: feedUrl(site, 'json'),
    },
    author: { name: guardText(site.author.name), ...(site.author.email ? { email: guardText(site.author.email) } : {}), link: siteUrl(site.baseUrl, sitePath.home) },
    // WebSub: readers that support it subscribe at the hub and get new items pushed.
    ...(site.websubHub ? { hub: site.websubHub } : {}),
  });
}

/**
 * Browsers show the feed through the site's XSL stylesheet; feed readers
 * ignore the processing instruction. Relative, so it stays same-origin
 * (browsers refuse cross-origin stylesheets) under any host name.
 */
function withStylesheet(xml: string): string {
  return xml.replace(/^(<\?xml[^?]*\?>)\n?/, `$1\n<?xml-stylesheet type="text/xsl" href="${outputFile(sitePath.feedStylesheet)}"?>\n`);
}

/** Rewrites a run of XML markup's dates from UTC into the site's zone. */
function zoneDates(markup: string, site: Site, format: 'rfc822' | 'rfc3339'): string {
  if (format === 'rfc822') {
    return markup.replace(
      /<(pubDate|lastBuildDate)>([^<]+)<\/\1>/g,
      (_m, tag: string, utc: string) => `<${tag}>${rfc822(new Date(utc).toISOString(), site.timeZone)}</${tag}>`,
    );
  }
  return markup.replace(
    /<(updated|published)>([^<]+)<\/\1>/g,
    (_m, tag: string, utc: string) => `<${tag}>${rfc3339(utc, site.timeZone)}</${tag}>`,
  );
}

export function renderRss(site: Site, items: FeedItem[]): string {
  const feed = baseFeed(site, items);
  for (const i of items) {
    const item: Item = {
      title: guardText(i.article.title),
      id: i.tagId,
      guid: i.tagId,
      link: i.url,
      date: new Date(i.updated),
      published: new Date(i.published),
      // RSS readers render description as HTML: the plain summary, escaped.
      description: guardText(escapeHtml(i.article.summary)),
      content: guardText(i.contentHtml),
      category: i.categories.map((c) => ({ name: guardText(c) })),
      // A name-only <author> is invalid RSS; reporters go in dc:creator.
      // xml-js writes an array as repeated elements: one dc:creator per reporter.
      extensions:
        i.authors.length > 0
          ? [{ name: 'dc:creator', objects: i.authors.map((a) => ({ _text: guardText(a) })) as unknown as Record<string, unknown> }]
          : [],
    };
    feed.addItem(item);
  }
  const xml = withStylesheet(finishXml(feed.rss2(), (m) => zoneDates(m, site, 'rfc822'), feedSpec('rss').file));
  if (!xml.includes('xmlns:dc="http://purl.org/dc/elements/1.1/"')) {
    // `feed` declares dc: only alongside content:encoded; declare it ourselves if that ever changes.
    return xml.replace('<rss version="2.0"', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"');
  }
  return xml;
}

export function renderAtom(site: Site, items: FeedItem[]): string {
  const feed = baseFeed(site, items);
  for (const i of items) {
    feed.addItem({
      title: guardText(i.article.title),
      id: i.tagId,
      link: i.url,
      date: new Date(i.updated),
      published: new Date(i.published),
      description: guardText(i.article.summary),
      content: guardText(i.contentHtml),
      author: (i.authors.length > 0 ? i.authors : [site.author.name]).map((name) => ({ name: guardText(name) })),
      category: i.categories.map((c) => ({ term: guardText(c) })),
    });
  }
  // Titles and summaries are plain text; `feed` labels them html.
  const rewrite = (m: string) =>
    zoneDates(m, site, 'rfc3339').replaceAll('<title type="html">', '<title type="text">').replaceAll('<summary type="html">', '<summary type="text">');
  return withStylesheet(finishXml(feed.atom1(), rewrite, feedSpec('atom').file));
}
