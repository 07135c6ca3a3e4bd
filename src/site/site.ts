// The site: its settings, derived once from the config, and the view of it
// every template (pages and emails) gets.
import type { Config } from '../config/schema.ts';
import { FEEDS, type FeedFormat } from './feeds.ts';
import { sitePath, siteUrl } from './urls.ts';

export interface Site {
  title: string;
  description: string;
  /** Without a trailing slash. */
  baseUrl: string;
  language: string;
  author: { name: string; email?: string | undefined };
  copyright: string;
  /** IANA zone: dates in feeds, pages and emails carry its offset. */
  timeZone: string;
  /** Items in each feed, newest first. */
  itemLimit: number;
  /** tag: URI authority and date; fixed for the life of the site. */
  tagAuthority: string;
  tagDate: string;
  /** The digest schedules readers can choose, in config order. */
  schedules: Array<{ id: string; name: string }>;
  /** The WebSub hub the feeds name (feed.websub.hub), or null. */
  websubHub: string | null;
}

export function siteOf(config: Config): Site {
  return {
    title: config.site.title,
    description: config.site.description,
    baseUrl: config.site.baseUrl,
    language: config.site.language,
    author: config.site.author,
    copyright: config.site.copyright,
    timeZone: config.site.timeZone,
    itemLimit: config.feed.itemLimit,
    tagAuthority: config.feed.tagAuthority ?? new URL(config.site.baseUrl).hostname,
    tagDate: config.feed.tagDate,
    schedules: Object.entries(config.schedules).map(([id, s]) => ({ id, name: s.name })),
    websubHub: config.feed.websub.hub ?? null,
  };
}

/** What templates see as `site`: names and absolute URLs. */
export interface SiteView {
  title: string;
  description: string;
  language: string;
  copyright: string;
  homeUrl: string;
  /** Each feed's URL by format: `site.feeds.rss`. */
  feeds: Record<FeedFormat, string>;
  /** Every feed in order, for autodiscovery links and the feeds page. */
  feedList: Array<{ format: FeedFormat; url: string; type: string; label: string; name: string }>;
  feedsPage: string;
  archiveUrl: string;
  editionsUrl: string;
  subscribeUrl: string;
  schedules: Array<{ id: string; name: string }>;
}

export function siteViewOf(site: Site): SiteView {
  const url = (p: string) => siteUrl(site.baseUrl, p);
  return {
    title: site.title,
    description: site.description,
    language: site.language,
    copyright: site.copyright,
    homeUrl: url(sitePath.home),
    feeds: Object.fromEntries(FEEDS.map((f) => [f.format, url(sitePath.feed(f))])) as Record<FeedFormat, string>,
    feedList: FEEDS.map((f) => ({ format: f.format, url: url(sitePath.feed(f)), type: f.type, label: f.label, name: f.name })),
    feedsPage: url(sitePath.feedsPage),
    archiveUrl: url(sitePath.archive),
    editionsUrl: url(sitePath.editions),
    subscribeUrl: url(sitePath.subscribe),
    schedules: site.schedules,
  };
}
