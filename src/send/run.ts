// One `send` of a schedule, from build to the last delivery. Used by the CLI
// and by the server's scheduler.
import type { BuildReport } from '../build/build.ts';
import { renderDigest } from '../digest/digest.ts';
import { siteUrl } from '../feed/ids.ts';
import type { Edition, Store } from '../store/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type DeliverDeps, type DeliveryReport, deliverEdition } from './deliver.ts';
import { type EditionPlan, digestContext, freezeEdition, planEdition } from './edition.ts';

export interface SendRunDeps extends Omit<DeliverDeps, 'transport' | 'claimant'> {
  /** This run's identity: it holds the lease and claims deliveries under it. */
  holder: string;
  /** Whether another lease holder is known to be dead (its lease can be taken at once). */
  isDead: (holder: string) => boolean;
  engine: TemplateEngine;
  /** Null for a dry run: nothing is sent. */
  transport: DeliverDeps['transport'] | null;
  /** Builds (or, for a dry run, previews) what the sources hold now. */
  build: (readOnly: boolean) => Promise<BuildReport>;
  /** The edition's moment (--now, or the clock). */
  now: Date;
  random: () => string;
  /** Seconds a send lease lasts without renewal. */
  leaseSeconds?: number;
}

export type SendRunResult =
  | { kind: 'nothing-new'; since: string; build: BuildReport }
  | { kind: 'dry-run'; plan: EditionPlan; subject: string; shown: number; build: BuildReport }
  | { kind: 'busy'; holder: string; expiresAt: string }
  | { kind: 'delivered'; edition: Edition; report: DeliveryReport; resumed: boolean; webFile?: string; build?: BuildReport; overCap?: number }
  | { kind: 'lease-lost'; edition: Edition; report: DeliveryReport };

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
  const { store, clock, holder } = deps;
  const name = `send:${schedule}`;
  const ttl = (deps.leaseSeconds ?? LEASE_SECONDS) * 1000;
  const expiry = () => new Date(clock().getTime() + ttl);
  if (!(await store.acquireLease(name, holder, clock(), expiry(), deps.isDead))) {
    const current = await store.leaseHolder(name);
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
    store.renewLease(name, holder, expiry()).then(
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
    if (!lost) await store.releaseLease(name, holder).catch(() => undefined);
  }
}

export async function runSend(deps: SendRunDeps, opts: { schedule: string; dryRun?: boolean }): Promise<SendRunResult> {
  const { store, config } = deps;
  if (opts.dryRun) {
    const build = await deps.build(true);
    const plan = await planEdition(store, config, build, opts.schedule, deps.now);
    if (plan.itemIds.length === 0) return { kind: 'nothing-new', since: plan.since, build };
    const items = await Promise.all(plan.itemIds.map((i) => build.loadItem(i)));
    const rendered = await renderDigest(
      digestContext(config, deps.engine),
      { schedule: plan.schedule, at: deps.now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, '/editions/preview.html') },
      deps.random(),
    );
    return { kind: 'dry-run', plan, subject: rendered.subject, shown: rendered.shown, build };
  }
  const transport = deps.transport;
  if (!transport) throw new Error('runSend: a transport is needed unless this is a dry run');

  return withLease(deps, opts.schedule, async (signal, lost) => {
    const deliverDeps = { ...deps, transport, signal, claimant: deps.holder };
    // A crash or a dead server left an edition unfinished: finish it first, and only it.
    const unfinished = await store.unfinishedEdition(opts.schedule);
    if (unfinished) {
      const report = await deliverEdition(deliverDeps, unfinished);
      return lost() ? { kind: 'lease-lost', edition: unfinished, report } : { kind: 'delivered', edition: unfinished, report, resumed: true };
    }
    const build = await deps.build(false);
    const plan = await planEdition(store, config, build, opts.schedule, deps.now);
    if (plan.itemIds.length === 0) return { kind: 'nothing-new', since: plan.since, build };
    const { edition, webFile } = await freezeEdition({ store, config, engine: deps.engine, build, random: deps.random }, plan, deps.now);
    const report = await deliverEdition(deliverDeps, edition);
    return lost() ? { kind: 'lease-lost', edition, report } : { kind: 'delivered', edition, report, resumed: false, webFile, build, overCap: plan.overCap };
  });
}

/** `send --retry-failed EDITION`: the failed deliveries go back in the queue and out again. */
export async function retryFailed(deps: SendRunDeps, editionId: string): Promise<SendRunResult | { kind: 'unknown-edition' }> {
  const edition = await deps.store.getEdition(editionId);
  if (!edition) return { kind: 'unknown-edition' };
  const transport = deps.transport;
  if (!transport) throw new Error('retryFailed: a transport is needed');
  return withLease(deps, edition.schedule, async (signal, lost) => {
    await deps.store.requeueFailed(edition.id, deps.clock());
    const report = await deliverEdition({ ...deps, transport, signal, claimant: deps.holder }, edition);
    return lost() ? { kind: 'lease-lost', edition, report } : { kind: 'delivered', edition, report, resumed: true };
  });
}


