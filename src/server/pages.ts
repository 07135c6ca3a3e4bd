// The service's own pages (subscribe, confirm, unsubscribe, preferences and
// the error pages), in Chinese from templates/service/, in the site's layout.
import type { Site, SiteView } from '../site/site.ts';
import { sitePath } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';

export interface Message {
  heading: string;
  paragraphs: string[];
}

export interface ServicePages {
  message(title: string, message: Message): string;
  unsubscribe(v: { email: string; schedule: string; done: boolean; token: string }): string;
  preferences(v: { email: string; name: string | null; schedule: string; active: boolean; saved: boolean; token: string }): string;
}

/** Relative links keep a token page on the host it was opened on, and work under a base path. */
const relative = (p: string, token: string) => `${p.slice(1)}?token=${encodeURIComponent(token)}`;

export function servicePages(engine: TemplateEngine, site: Site, view: SiteView): ServicePages {
  const names = new Map(site.schedules.map((s) => [s.id, s.name]));
  // Token pages are never indexed or linked to: no canonical URL beyond the path.
  const page = (title: string, p: string) => ({ title, url: `${view.homeUrl.replace(/\/$/, '')}${p}` });
  return {
    message: (title, message) => engine.render('service/message.liquid', { site: view, page: page(title, sitePath.home), message }),
    unsubscribe: (v) =>
      engine.render('service/unsubscribe.liquid', {
        site: view,
        page: page(v.done ? '\u5df2\u9000\u8ba2' : '\u9000\u8ba2', sitePath.unsubscribe),
        email: v.email,
        schedule: names.get(v.schedule) ?? v.schedule,
        done: v.done,
        preferencesUrl: relative(sitePath.preferences, v.token),
      }),
    preferences: (v) =>
      engine.render('service/preferences.liquid', {
        site: view,
        page: page('\u8ba2\u9605\u8bbe\u7f6e', sitePath.preferences),
        email: v.email,
        name: v.name ?? '',
        schedule: v.schedule,
        active: v.active,
        saved: v.saved,
        unsubscribeUrl: relative(sitePath.unsubscribe, v.token),
      }),
  };
}
