// The publish stage: a corpus → the output folder (feeds and pages).
//
// Feeds, the index, the archive and the feeds page are rendered every time
// (they are small); an article page or a month of the archive only when the
// hash of its inputs changed or its file is gone. Files no page claims any
// more are removed. A file is written only when its bytes change, so
// unchanged files keep their mtime (and their ETag).
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Corpus, PublishedArticle } from '../corpus/corpus.ts';
import { sha256 } from '../corpus/cache.ts';
import { toFeedItem } from '../feed/items.ts';
import type { FeedItem } from '../feed/model.ts';
import { renderFeed } from '../feed/render.ts';
import { writeAtomic } from '../fs-atomic.ts';
import { archiveMonths, contentRenderer, renderArchiveMonth, renderArticlePage, renderListingPages } from '../pages/render.ts';
import { archiveEntryOf, listEntryOf } from '../pages/views.ts';
import { FEEDS } from '../site/feeds.ts';
import { type Site, siteViewOf } from '../site/site.ts';
import { articleUrl, outputFile, sitePath } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';

export interface PublishDeps {
  site: Site;
  engine: TemplateEngine;
  /** The output folder. */
  out: string;
  /** Where the record of what each page was rendered from is kept (`<data>/cache`). */
  cacheDir: string;
}

export interface PublishReport {
  /** Article and archive pages written this time. */
  pagesWritten: number;
  /** Files written or removed under the output folder (relative paths). */
  changedFiles: string[];
  /** The feeds' items, newest first. */
  feedItems: FeedItem[];
}

/** Output folders whose pages each publish keeps in step with their inputs. */
const PAGE_DIRS = ['articles', 'archive'] as const;

/** Writes a file only when its bytes change, so unchanged files keep their mtime. */
async function writeIfChanged(file: string, content: string): Promise<boolean> {
  const old = await readFile(file, 'utf8').catch(() => null);
  if (old === content) return false;
  await writeAtomic(file, content);
  return true;
}

/** Page file → the hash of what it was rendered from, per output folder. */
class PageRecord {
  private readonly file: string;
  constructor(cacheDir: string, out: string) {
    this.file = path.join(cacheDir, `pages-${sha256(path.resolve(out)).slice(0, 16)}.json`);
  }
  async read(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
  async write(pages: Record<string, string>): Promise<void> {
    await writeAtomic(this.file, JSON.stringify(pages));
  }
}

export async function publish(corpus: Corpus, deps: PublishDeps): Promise<PublishReport> {
  const { site, engine, out } = deps;
  const view = siteViewOf(site);
  const renderContent = contentRenderer(engine);
  const feedItemOf = async (a: PublishedArticle): Promise<FeedItem> =>
    toFeedItem(await corpus.loadArticle(a.id), a.slug, a.state.lastChanged, site, renderContent);

  const feedItems: FeedItem[] = [];
  for (const a of corpus.articles.slice(0, site.itemLimit)) feedItems.push(await feedItemOf(a));
  // A page rewritten for an article in the feeds reuses its feed item rather than load and render it again.
  const inFeeds = new Map(feedItems.map((i) => [i.article.id, i]));

  const changedFiles: string[] = [];
  const write = async (rel: string, content: string) => {
    if (await writeIfChanged(path.join(out, rel), content)) changedFiles.push(rel);
  };

  // Pages rendered from their own inputs: an article page, or a month of the archive.
  const record = new PageRecord(deps.cacheDir, out);
  const previous = await record.read();
  const renderKey = sha256(JSON.stringify(engine.sources), JSON.stringify(site));
  const pages: Record<string, string> = {};
  let pagesWritten = 0;
  const existing = new Map<string, Set<string>>();
  for (const dir of PAGE_DIRS) existing.set(dir, new Set(await readdir(path.join(out, dir)).catch(() => [] as string[])));
  const keepPage = async (file: string, key: string, render: () => Promise<string>) => {
    pages[file] = key;
    const [dir, name] = file.split('/') as [string, string];
    if (previous[file] === key && existing.get(dir)?.has(name)) return;
    await write(file, await render());
    pagesWritten++;
  };
  for (const a of corpus.articles) {
    const key = sha256(renderKey, a.hash, a.state.lastChanged ?? '');
    await keepPage(outputFile(sitePath.article(a.slug)), key, async () =>
      renderArticlePage(engine, site, view, inFeeds.get(a.id) ?? (await feedItemOf(a))),
    );
  }
  const months = archiveMonths(
    corpus.articles.map((a) => archiveEntryOf(a.title, articleUrl(site.baseUrl, a.slug), a.date, site.timeZone)),
    site.baseUrl,
  );
  for (const m of months) {
    const key = sha256(renderKey, JSON.stringify(m.entries));
    await keepPage(outputFile(sitePath.archiveMonth(m.month)), key, async () => renderArchiveMonth(engine, view, m));
  }
  for (const [dir, files] of existing) {
    for (const file of files) {
      if (file.endsWith('.html') && !(`${dir}/${file}` in pages)) {
        await rm(path.join(out, dir, file), { force: true });
        changedFiles.push(`${dir}/${file}`);
      }
    }
  }

  // Feeds and the small pages every publish renders.
  for (const feed of FEEDS) await write(outputFile(sitePath.feed(feed)), renderFeed(feed.format, site, feedItems));
  const lead = feedItems.map((i) => listEntryOf({ ...i.article, authors: i.authors }, i.url, i.published, site.timeZone));
  for (const [p, content] of renderListingPages(engine, site, { view, lead, months, total: corpus.articles.length })) {
    await write(outputFile(p), content);
  }

  const pagesChanged =
    Object.keys(pages).length !== Object.keys(previous).length || Object.entries(pages).some(([f, k]) => previous[f] !== k);
  if (pagesChanged) await record.write(pages);

  return { pagesWritten, changedFiles, feedItems };
}
