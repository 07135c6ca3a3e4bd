// The index of past editions (/editions/): newest first, each linking to the
// web page `send` wrote for it. Pure: the editions come in from the store.
import { chineseDate } from '../site/dates.ts';
import type { Site, SiteView } from '../site/site.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';

export const EDITIONS_TEMPLATE = 'service/editions.liquid';

/** What the index needs of an edition. */
export interface EditionListing {
  id: string;
  schedule: string;
  createdAt: string;
  subject: string;
  itemCount: number;
}

export function renderEditionsIndex(engine: TemplateEngine, site: Site, view: SiteView, editions: EditionListing[]): string {
  const names = new Map(site.schedules.map((s) => [s.id, s.name]));
  const sorted = [...editions].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return engine.render(EDITIONS_TEMPLATE, {
    site: view,
    page: { title: '\u5f80\u671f\u90ae\u4ef6\u6458\u8981', url: view.editionsUrl },
    editions: sorted.map((e) => ({
      url: siteUrl(site.baseUrl, sitePath.edition(e.id)),
      subject: e.subject,
      scheduleName: names.get(e.schedule) ?? e.schedule,
      itemCount: e.itemCount,
      dateText: chineseDate(e.createdAt, site.timeZone),
    })),
  });
}
