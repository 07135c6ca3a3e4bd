// The site settings feeds and pages are built from, derived once from the config.
import type { Config } from '../config/schema.ts';
import type { FeedSite } from './model.ts';

export function feedSiteOf(config: Config): FeedSite {
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
  };
}
