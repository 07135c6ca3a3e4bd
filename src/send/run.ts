// One `send` of a schedule, from reading the articles to the last delivery.
// Used by the CLI and by the server's scheduler.
import { BusyError } from '../errors.ts';
import type { Corpus } from '../corpus/corpus.ts';
import { renderDigest } from '../digest/digest.ts';
import type { MjmlRenderer } from '../mail/render.ts';
import type { Edition } from '../model.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { SubscriberStore } from '../subscribers/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type DeliverDeps, type DeliveryReport, deliverEdition } from './deliver.ts';
import { type EditionPlan, digestContext, digestItems, freezeEdition, planEdition } from './edition.ts';
import type { EditionStore, LeaseStore, RateStore, Requeued, WorkerStore } from './store.ts';

export interface SendStores {
  editions: EditionStore;
  leases: LeaseStore;
  subscribers: Pick<SubscriberStore, 'change' | 'count'>;
  workers: WorkerStore;
  rates: RateStore;
}

export interface SendRunDeps extends Omit<DeliverDeps, 'transport' | 'claimant' | 'store' | 'isDead'> {
  store: SendStores;
  /** This run's identity: it holds the lease and claims deliveries under it. */
  holder: string;
  /** Whether another lease holder is known to be dead (its lease can be taken at once). */
  isDead: (holder: string) => boolean;
  engine: TemplateEngine;
  /** Null for a dry run: nothing is sent. */
  transport: DeliverDeps['transport'] | null;
  /**
   * Reads the articles through the corpus stage (and, for a real send, records
   * and publishes them): what the sources hold now. Not called when an
   * unfinished edition is resumed.
   */
  corpus: () => Promise<Corpus>;
  /** Puts the edition's web page in the output folder. */
  writePage: (sitePath: string, html: string) => Promise<void>;
  /** The edition's moment (--now, or the clock). */
  now: Date;
  random: () => string;
  /** Seconds a send lease lasts without renewal. */
  leaseSeconds?: number;
  /** Checks the email templates before an edition is rendered (a broken one stops the run with its file and line). */
  checkTemplates?: () => Promise<void>;
  /** MJML → HTML for rendering an edition; default MJML in this thread, loaded on first use. */
  mjml?: MjmlRenderer;
  /** Called once the edition is rendered and frozen, before delivery: what rendered it may go (the MJML thread). */
  afterRender?: () => Promise<void>;
}

export type SendRunResult =
  | { kind: 'nothing-new'; since: string; corpus: Corpus }
  | { kind: 'dry-run'; plan: EditionPlan; subject: string; shown: number; corpus: Corpus }
  | { kind: 'busy'; holder: string; expiresAt: string }
  | { kind: 'delivered'; edition: Edition; report: DeliveryReport; resumed: boolean; webPath?: string; corpus?: Corpus; overCap?: number; retried?: Requeued }
  | { kind: 'lease-lost'; edition: Edition; report: DeliveryReport }
  /** resumeOnly, and nothing was left unfinished (another process finished it meanwhile). */
  | { kind: 'nothing-unfinished' };

const LEASE_SECONDS = 60;

/**
 * Holds `send:<schedule>` while fn runs, renewing it. If the lease is taken
 * over, or cannot be renewed for most of its time, fn's signal aborts: the
 * run stops claiming and finishes only what is in flight.
 */
async function withLease<T>(
  deps: SendRunDeps,
  schedule: string,
  fn: (signal: AbortSignal, lost: () => boolean) => Promise<T>,
): Promise<T | { kind: 'busy'; holder: string; expiresAt: string }> {
  const { clock, holder } = deps;
  const leases = deps.store.leases;
  const name = `send:${schedule}`;
  const ttl = (deps.leaseSeconds ?? LEASE_SECONDS) * 1000;
  const expiry = () => new Date(clock().getTime() + ttl);
  if (!(await leases.acquire(name, holder, clock(), expiry(), deps.isDead))) {
    const current = await leases.holder(name);
    return { kind: 'busy', holder: current?.holder ?? 'unknown', expiresAt: current?.expiresAt ?? 'unknown' };
  }
  const controller = new AbortController();
  let lost = false;
  let renewedAt = clock().getTime();
  const onAbort = () => controller.abort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const loseIt = () => {
    lost = true;
    controller.abort();
  };
  const timer = setInterval(() => {
    leases.renew(name, holder, expiry()).then(
      (ok) => {
        if (ok) renewedAt = clock().getTime();
        else loseIt();
      },
      () => {
        // The store is unreachable: stop before the lease can run out under us.
        if (clock().getTime() - renewedAt > (ttl * 2) / 3) loseIt();
      },
    );
  }, ttl / 4);
  timer.unref();
  try {
    return await fn(controller.signal, () => lost);
  } finally {
    clearInterval(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    // No longer listed as a worker (deliverEdition's heartbeat put it there).
    await deps.store.workers.leave(holder).catch(() => undefined);
    if (!lost) await leases.release(name, holder).catch(() => undefined);
  }
}

/**
 * One send of a schedule: resume its unfinished edition, or else freeze the
 * next one and deliver it. `resumeOnly` (serve at start-up) never freezes.
 */
export async function runSend(deps: SendRunDeps, opts: { schedule: string; dryRun?: boolean; resumeOnly?: boolean }): Promise<SendRunResult> {
  const { store, config } = deps;
  if (opts.dryRun) {
    const corpus = await deps.corpus();
    const plan = await planEdition(store, config, corpus, opts.schedule, deps.now);
    if (plan.itemIds.length === 0) return { kind: 'nothing-new', since: plan.since, corpus };
    await deps.checkTemplates?.();
    const items = await digestItems(corpus, plan.itemIds, config);
    const rendered = await renderDigest(
      digestContext(config, deps.engine, deps.mjml),
      { schedule: plan.schedule, at: deps.now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, sitePath.edition('preview')) },
      deps.random(),
    );
    return { kind: 'dry-run', plan, subject: rendered.subject, shown: rendered.shown, corpus };
  }
  const transport = deps.transport;
  if (!transport) throw new Error('runSend: a transport is needed unless this is a dry run');

  return withLease(deps, opts.schedule, async (signal, lost) => {
    const deliverDeps = { ...deps, transport, signal, claimant: deps.holder };
    // A crash or a dead server left an edition unfinished: finish it first, and only it.
    const unfinished = await store.editions.unfinished(opts.schedule);
    if (unfinished) {
      const report = await deliverEdition(deliverDeps, unfinished);
      return lost() ? { kind: 'lease-lost', edition: unfinished, report } : { kind: 'delivered', edition: unfinished, report, resumed: true };
    }
    if (opts.resumeOnly) return { kind: 'nothing-unfinished' };
    const corpus = await deps.corpus();
    const plan = await planEdition(store, config, corpus, opts.schedule, deps.now);
    if (plan.itemIds.length === 0) return { kind: 'nothing-new', since: plan.since, corpus };
    await deps.checkTemplates?.();
    // Building and rendering take a while: if the lease went meanwhile, another run may be freezing this very edition.
    if (lost()) throw new BusyError(`send:${opts.schedule}: lost the lease while preparing the edition; nothing frozen`);
    const { edition, webPage } = await freezeEdition({ store, config, engine: deps.engine, corpus, random: deps.random, mjml: deps.mjml }, plan, deps.now);
    await deps.afterRender?.();
    await deps.writePage(webPage.path, webPage.html);
    const report = await deliverEdition(deliverDeps, edition);
    return lost()
      ? { kind: 'lease-lost', edition, report }
      : { kind: 'delivered', edition, report, resumed: false, webPath: webPage.path, corpus, overCap: plan.overCap };
  });
}

/** `send --retry-failed EDITION`: the failed deliveries go back in the queue and out again. */
export async function retryFailed(deps: SendRunDeps, editionId: string): Promise<SendRunResult | { kind: 'unknown-edition' }> {
  const edition = await deps.store.editions.get(editionId);
  if (!edition) return { kind: 'unknown-edition' };
  const transport = deps.transport;
  if (!transport) throw new Error('retryFailed: a transport is needed');
  return withLease(deps, edition.schedule, async (signal, lost) => {
    const retried = await deps.store.editions.requeueFailed(edition.id, deps.clock());
    const report = await deliverEdition({ ...deps, transport, signal, claimant: deps.holder }, edition);
    return lost() ? { kind: 'lease-lost', edition, report } : { kind: 'delivered', edition, report, resumed: true, retried };
  });
}
