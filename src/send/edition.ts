// Editions: what goes into the next one of a schedule, and freezing it —
// items, recipients and the rendered message fixed in one transaction.
import type { Config } from '../config/schema.ts';
import type { Corpus } from '../corpus/corpus.ts';
import { type DigestContext, type DigestItem, type RenderedDigest, digestItemOf, renderDigest } from '../digest/digest.ts';
import type { MjmlRenderer } from '../mail/render.ts';
import { personaliser } from '../mail/render.ts';
import { senderOf } from '../mail/sender.ts';
import type { Edition } from '../model.ts';
import { localStamp } from '../site/dates.ts';
import { siteOf, siteViewOf } from '../site/site.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import type { EditionStore } from './store.ts';

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

export interface PlanStores {
  editions: Pick<EditionStore, 'last'>;
  subscribers: Pick<SubscriberStore, 'count'>;
}

/**
 * The next edition of a schedule: the items first published since its
 * previous edition, or, for its very first, within its last period.
 */
export async function planEdition(
  store: PlanStores,
  config: Config,
  corpus: Pick<Corpus, 'articles'>,
  scheduleId: string,
  now: Date,
): Promise<EditionPlan> {
  const schedule = scheduleInfo(config, scheduleId);
  const previous = await store.editions.last(scheduleId);
  const until = now.toISOString();
  const since = previous?.until ?? new Date(now.getTime() - schedule.periodHours * 3600_000).toISOString();
  const fresh = corpus.articles // newest first already
    .filter((a) => a.state.firstSeen > since && a.state.firstSeen <= until)
    .map((a) => a.id);
  const itemIds = fresh.slice(0, schedule.maxItems);
  const recipients = await store.subscribers.count({ schedule: scheduleId, status: 'active' });
  return { schedule, since, until, previous, itemIds, overCap: fresh.length - itemIds.length, recipients };
}

/** `daily-20261125-0700`, in the site's time zone; a suffix if that id is taken. */
export async function editionId(editions: Pick<EditionStore, 'get'>, scheduleId: string, now: Date, timeZone: string): Promise<string> {
  const base = `${scheduleId}-${localStamp(now.toISOString(), timeZone)}`;
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await editions.get(id))) return id;
  }
}

/**
 * MJML, loaded the first time an edition is rendered: it is a large import,
 * and the cron's usual `send` (nothing new, or an edition to resume) never
 * renders one.
 */
const lazyMjml: MjmlRenderer = async (source, where) => (await import('../mail/mjml.ts')).mjmlToHtml(source, where);

export function digestContext(config: Config, engine: TemplateEngine, mjml: MjmlRenderer = lazyMjml): DigestContext {
  const site = siteOf(config);
  return {
    engine,
    mjml,
    site,
    view: siteViewOf(site),
    subjectPattern: config.mail.subject,
    budgetBytes: config.mail.sizeBudgetKb * 1024,
    templatesDir: config.paths.templates,
  };
}

/** What the email shows of each of these articles. */
export async function digestItems(corpus: Pick<Corpus, 'articles' | 'loadArticle'>, ids: string[], config: Config): Promise<DigestItem[]> {
  const site = siteOf(config);
  const slugs = new Map(corpus.articles.map((a) => [a.id, a.slug]));
  return Promise.all(ids.map(async (id) => digestItemOf(await corpus.loadArticle(id), slugs.get(id)!, site)));
}

export interface FreezeDeps {
  store: { editions: EditionStore };
  config: Config;
  engine: TemplateEngine;
  corpus: Pick<Corpus, 'articles' | 'loadArticle'>;
  /** Random lower-case hex for the placeholder nonce. */
  random: () => string;
  /** MJML → HTML; default MJML in this thread, loaded on first use. */
  mjml?: MjmlRenderer | undefined;
}

export interface FrozenEdition {
  edition: Edition;
  rendered: RenderedDigest;
  /** The edition's web page (every item, no personal lines), for the output folder. */
  webPage: { path: string; html: string };
}

/** Renders the plan's digest and freezes the edition. */
export async function freezeEdition(deps: FreezeDeps, plan: EditionPlan, now: Date): Promise<FrozenEdition> {
  const { store, config } = deps;
  const ctx = digestContext(config, deps.engine, deps.mjml);
  const id = await editionId(store.editions, plan.schedule.id, now, config.site.timeZone);
  const webPath = sitePath.edition(id);
  const items = await digestItems(deps.corpus, plan.itemIds, config);
  const digest = { schedule: plan.schedule, at: now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, webPath) };
  const rendered = await renderDigest(ctx, digest, deps.random());
  const edition = await store.editions.freeze(
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
  return { edition, rendered, webPage: { path: webPath, html: personaliser(web)({}).html } };
}
