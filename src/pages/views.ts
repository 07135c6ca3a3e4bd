// View models for the page templates. Pure.
import type { PageItem } from '../feed/items.ts';
import { chineseDate, rfc3339 } from '../site/dates.ts';

/** What a listing shows of an article. */
export interface ListEntry {
  id: string;
  url: string;
  title: string;
  kicker: string | null;
  published: string;
  dateText: string;
  /** Null when there are none (in Liquid an empty string is true). */
  authorsText: string | null;
  summary: string;
}

export function listEntryOf(
  a: { id: string; title: string; kicker: string | null; summary: string; authors: string[] },
  url: string,
  published: string,
  timeZone: string,
): ListEntry {
  return {
    id: a.id,
    url,
    title: a.title,
    kicker: a.kicker,
    published,
    dateText: chineseDate(published, timeZone),
    authorsText: a.authors.length > 0 ? a.authors.join('\u3001') : null,
    summary: a.summary,
  };
}

/** What the archive shows of an article. */
export interface ArchiveEntry {
  url: string;
  title: string;
  published: string;
  dateText: string;
}

export function archiveEntryOf(title: string, url: string, date: string, timeZone: string): ArchiveEntry {
  return { url, title, published: rfc3339(date, timeZone), dateText: chineseDate(date, timeZone) };
}

/** What an article page shows of its item. */
export interface ArticleView extends ListEntry {
  subtitle: string | null;
  updated: string;
  updatedText: string | null;
  categories: string[];
  link: string | null;
  bodyHtml: string;
}

export function articleViewOf(item: PageItem, timeZone: string): ArticleView {
  const a = item.article;
  const entry = listEntryOf({ id: a.id, title: a.title, kicker: a.kicker, summary: a.summary, authors: item.authors }, item.url, item.published, timeZone);
  // Field by field rather than `...entry`: this runs for every page, and V8
  // copies a spread object into a new one several times slower.
  return {
    id: entry.id,
    url: entry.url,
    title: entry.title,
    kicker: entry.kicker,
    published: entry.published,
    dateText: entry.dateText,
    authorsText: entry.authorsText,
    summary: entry.summary,
    subtitle: a.subtitle,
    updated: item.updated,
    updatedText: item.updated !== item.published ? chineseDate(item.updated, timeZone) : null,
    categories: item.categories,
    link: a.link,
    bodyHtml: item.contentHtml,
  };
}
