// Every path the site serves, in one place. A page's file in the output
// folder is its site path without the leading slash; its URL is the site path
// under the base URL. Nothing else spells a site path.
import type { FeedSpec } from './feeds.ts';

/** Site paths (`/articles/x.html`), percent-encoding left to siteUrl. */
export const sitePath = {
  home: '/',
  index: '/index.html',
  article: (slug: string) => `/articles/${slug}.html`,
  archive: '/archive.html',
  archiveMonth: (month: string) => `/archive/${month}.html`,
  feedsPage: '/feeds.html',
  feed: (feed: Pick<FeedSpec, 'file'>) => `/${feed.file}`,
  /** The index of past editions. */
  editions: '/editions/',
  edition: (id: string) => `/editions/${id}.html`,
  subscribe: '/subscribe',
  confirm: '/confirm',
  unsubscribe: '/unsubscribe',
  preferences: '/preferences',
  /** The XSL stylesheet that makes rss.xml and atom.xml readable in a browser. */
  feedStylesheet: '/feed.xsl',
  /** The service's health (JSON) and metrics (Prometheus text). */
  healthz: '/healthz',
  metrics: '/metrics',
} as const;

/** The file under the output folder that holds a site path. */
export function outputFile(path: string): string {
  return path.endsWith('/') ? `${path.slice(1)}index.html` : path.slice(1);
}

/** Absolute URL of a site path, each segment percent-encoded. */
export function siteUrl(baseUrl: string, path: string): string {
  const encoded = path
    .split('/')
    .map((part) => encodeURIComponent(part))
    .join('/');
  return `${baseUrl}${encoded.startsWith('/') ? '' : '/'}${encoded}`;
}

/** A link that carries a signed token: `/confirm?token=…`. */
export function tokenUrl(baseUrl: string, path: string, token: string): string {
  return `${siteUrl(baseUrl, path)}?token=${encodeURIComponent(token)}`;
}

/** Absolute URL of an article's page. */
export function articleUrl(baseUrl: string, slug: string): string {
  // What siteUrl gives, without splitting and joining the path for each of
  // thousands of pages: a slug has no `/` (slugOf replaces it), so its page
  // name is the one segment to encode, and `.html` needs no encoding.
  if (!slug.includes('/')) return `${baseUrl}/articles/${encodeURIComponent(slug)}.html`;
  return siteUrl(baseUrl, sitePath.article(slug));
}
