// Editions: what goes into the next one of a schedule, and freezing it —
// items, recipients and the rendered message fixed in one transaction.
import path from 'node:path';
import type { BuildReport } from '../build/build.ts';
import type { Config } from '../config/schema.ts';
import { renderDigest, type DigestContext, type RenderedDigest } from '../digest/digest.ts';
import { localStamp } from '../feed/dates.ts';
import { siteUrl } from '../feed/ids.ts';
import { feedSiteOf } from '../feed/site.ts';
import { writeAtomic } from '../fs-atomic.ts';
import { mjmlToHtml } from '../mail/mjml.ts';
import { personaliser } from '../mail/render.ts';
import { senderOf } from '../mail/sender.ts';
import { pageSiteOf } from '../pages/views.ts';
import type { Edition, Store } from '../store/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';

export interface ScheduleInfo {
  id: string;
  name: string;
  periodHours: number;
  maxItems: number;
}

export interface EditionPlan {
  schedule: ScheduleInfo;
  /** Items first seen in (since, until] go in. */
  since: string;
  until: string;
  previous: Edition | null;
  /** Newest first, at most the schedule's cap. */
  itemIds: string[];
  /** New items beyond the cap: in the feeds and on the site, in no digest. */
  overCap: number;
  /** Active subscribers of the schedule right now. */
  recipients: number;
}

export function scheduleInfo(config: Config, id: string): ScheduleInfo {
  const s = config.schedules[id];
  if (!s) throw new Error(`unknown schedule ${id}`);
  return { id, name: s.name, periodHours: s.periodHours, maxItems: s.maxItems };
}

/**
 * The next edition of a schedule: the items first published since its
 * previous edition, or, for its very first, within its last period.
 */
export async function planEdition(store: Store, config: Config, build: Pick<BuildReport, 'published'>, scheduleId: string, now: Date): Promise<EditionPlan> {
  const schedule = scheduleInfo(config, scheduleId);
  const previous = await store.lastEdition(scheduleId);
  const until = now.toISOString();
  const since = previous?.until ?? new Date(now.getTime() - schedule.periodHours * 3600_000).toISOString();
  const fresh = build.published // newest first already
    .filter((a) => a.state.firstSeen > since && a.state.firstSeen <= until)
    .map((a) => a.id);
  const itemIds = fresh.slice(0, schedule.maxItems);
  const recipients = await store.countSubscribers({ schedule: scheduleId, status: 'active' });
  return { schedule, since, until, previous, itemIds, overCap: fresh.length - itemIds.length, recipients };
}

/** `daily-20261125-0700`, in the site's time zone; a suffix if that id is taken. */
export async function editionId(store: Store, scheduleId: string, now: Date, timeZone: string): Promise<string> {
  const base = `${scheduleId}-${localStamp(now.toISOString(), timeZone)}`;
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await store.getEdition(id))) return id;
  }
}

export function digestContext(config: Config, engine: TemplateEngine): DigestContext {
  const site = feedSiteOf(config);
  return {
    engine,
    mjml: mjmlToHtml,
    site,
    pageSite: pageSiteOf(site, config.schedules),
    subjectPattern: config.mail.subject,
    budgetBytes: config.mail.sizeBudgetKb * 1024,
    templatesDir: config.paths.templates,
  };
}

export interface FreezeDeps {
  store: Store;
  config: Config;
  engine: TemplateEngine;
  build: Pick<BuildReport, 'loadItem'>;
  /** Random lower-case hex for the placeholder nonce. */
  random: () => string;
}

/** Renders the plan's digest and freezes the edition; writes its web page. */
export async function freezeEdition(
  deps: FreezeDeps,
  plan: EditionPlan,
  now: Date,
): Promise<{ edition: Edition; rendered: RenderedDigest; webFile: string }> {
  const { store, config } = deps;
  const ctx = digestContext(config, deps.engine);
  const id = await editionId(store, plan.schedule.id, now, config.site.timeZone);
  const webPath = `/editions/${id}.html`;
  const items = await Promise.all(plan.itemIds.map((i) => deps.build.loadItem(i)));
  const digest = { schedule: plan.schedule, at: now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, webPath) };
  const rendered = await renderDigest(ctx, digest, deps.random());
  const edition = await store.freezeEdition(
    {
      id,
      schedule: plan.schedule.id,
      createdAt: now.toISOString(),
      since: plan.since,
      until: plan.until,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      nonce: rendered.nonce,
      itemCount: rendered.total,
      shownCount: rendered.shown,
    },
    plan.itemIds,
    senderOf(config).domain,
  );
  const web = await renderDigest(ctx, digest, deps.random(), { web: true });
  const webFile = path.join(config.paths.out, webPath);
  await writeAtomic(webFile, personaliser(web)({}).html);
  return { edition, rendered, webFile };
}
