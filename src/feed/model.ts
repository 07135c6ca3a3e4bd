// What the feed and page renderers work from: the site, and each article as
// a feed item (an Article plus what the store remembers about it).
import type { Article } from '../model.ts';

export interface FeedSite {
  title: string;
  description: string;
  /** Without a trailing slash. */
  baseUrl: string;
  language: string;
  author: { name: string; email?: string | undefined };
  copyright: string;
  timeZone: string;
  /** Items in each feed, newest first. */
  itemLimit: number;
  /** tag: URI authority and date; fixed for the life of the site. */
  tagAuthority: string;
  tagDate: string;
}

export interface FeedItem {
  article: Article;
  /** tag: URI, the item's id in every feed. */
  tagId: string;
  /** Page name: articles/<slug>.html */
  slug: string;
  /** Absolute URL of the article page. */
  url: string;
  /** The article's date (RFC 3339, site offset). */
  published: string;
  /** published, or when the text last changed if later. */
  updated: string;
  /** Reporters, or the front matter author. */
  authors: string[];
  /** Tags, then a roundup's places. */
  categories: string[];
  /** The body as HTML: paragraphs, section headings, byline line, editor credit. */
  contentHtml: string;
}

/** The feed files and where they are served. */
export const FEED_FILES = {
  rss: 'rss.xml',
  atom: 'atom.xml',
  json: 'feed.json',
} as const;
