// Feed items → each feed format, in one place: the formats are listed in
// site/feeds.ts; each has one renderer here.
import type { FeedFormat } from '../site/feeds.ts';
import type { Site } from '../site/site.ts';
import { renderJsonFeed } from './json-feed.ts';
import type { FeedItem } from './model.ts';
import { renderAtom, renderRss } from './xml-feeds.ts';

const RENDERERS: Record<FeedFormat, (site: Site, items: FeedItem[]) => string> = {
  rss: renderRss,
  atom: renderAtom,
  json: renderJsonFeed,
};

export function renderFeed(format: FeedFormat, site: Site, items: FeedItem[]): string {
  return RENDERERS[format](site, items);
}
