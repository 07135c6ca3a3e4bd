// What the feed renderers work from: each article as a feed item (an Article
// plus what the store remembers about it). The site is site/site.ts's Site.
import type { Article } from '../model.ts';

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
