// The one list of feeds: their files, media types and names. The feeds' self
// links, the pages' autodiscovery links, the feeds page, the server's content
// types and the publish step all read it; a new format is one entry here and
// one renderer in feed/.

export type FeedFormat = 'rss' | 'atom' | 'json';

export interface FeedSpec {
  format: FeedFormat;
  /** The file in the output folder, served at `/<file>`. */
  file: string;
  /** Media type for links and HTTP. */
  type: string;
  /** Short name in link titles: `山西日报 (RSS)`. */
  label: string;
  /** The format's full name, for people. */
  name: string;
}

export const FEEDS: readonly FeedSpec[] = [
  { format: 'rss', file: 'rss.xml', type: 'application/rss+xml', label: 'RSS', name: 'RSS 2.0' },
  { format: 'atom', file: 'atom.xml', type: 'application/atom+xml', label: 'Atom', name: 'Atom 1.0' },
  { format: 'json', file: 'feed.json', type: 'application/feed+json', label: 'JSON Feed', name: 'JSON Feed 1.1' },
];

export function feedSpec(format: FeedFormat): FeedSpec {
  return FEEDS.find((f) => f.format === format)!;
}
