// One `send` of a schedule, from build to the last delivery. Used by the CLI
// and by the server's scheduler.
import { hostname } from 'node:os';
import type { BuildReport } from '../build/build.ts';
import { renderDigest } from '../digest/digest.ts';
import { siteUrl } from '../feed/ids.ts';
import type { Edition, Store } from '../store/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { type DeliverDeps, type DeliveryReport, deliverEdition } from './deliver.ts';
import { type EditionPlan, digestContext, freezeEdition, planEdition } from './edition.ts';

export interface SendRunDeps extends Omit<DeliverDeps, 'transport'> {
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
  | { kind: 'delivered'; edition: Edition; report: DeliveryReport; resumed: boolean; webFile?: string; build?: BuildReport }
  | { kind: 'lease-lost'; edition: Edition; report: DeliveryReport };

const LEASE_SECONDS = 60;

/** `<host>:<pid>:<random>` */
function holderId(random: () => string): string {
  return `${hostname()}:${process.pid}:${random()}`;
}

/** A holder on this host whose process is gone has not released its lease by dying; take it over. */
export function holderIsDead(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Holds `send:<schedule>` while fn runs, renewing it; aborts fn's signal if it is lost. */
async function withLease<T>(
  deps: SendRunDeps,
  schedule: string,
  fn: (signal: AbortSignal, lost: () => boolean) => Promise<T>,
): Promise<T | { kind: 'busy'; holder: string; expiresAt: string }> {
  const { store, clock } = deps;
  const name = `send:${schedule}`;
  const holder = holderId(deps.random);
  const ttl = (deps.leaseSeconds ?? LEASE_SECONDS) * 1000;
  const expiry = () => new Date(clock().getTime() + ttl);
  if (!(await store.acquireLease(name, holder, clock(), expiry(), holderIsDead))) {
    const current = await store.leaseHolder(name);
    return { kind: 'busy', holder: current?.holder ?? 'unknown', expiresAt: current?.expiresAt ?? 'unknown' };
  }
  const controller = new AbortController();
  let lost = false;
  deps.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const timer = setInterval(() => {
    store
      .renewLease(name, holder, expiry())
      .then((ok) => {
        if (!ok) {
          lost = true;
          controller.abort();
        }
      })
      .catch(() => undefined);
  }, ttl / 3);
  timer.unref();
  try {
    return await fn(controller.signal, () => lost);
  } finally {
    clearInterval(timer);
    await store.releaseLease(name, holder).catch(() => undefined);
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
    const deliverDeps = { ...deps, transport, signal };
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
    return lost() ? { kind: 'lease-lost', edition, report } : { kind: 'delivered', edition, report, resumed: false, webFile, build };
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
    const report = await deliverEdition({ ...deps, transport, signal }, edition);
    return lost() ? { kind: 'lease-lost', edition, report } : { kind: 'delivered', edition, report, resumed: true };
  });
}

/** Never "sent" unless every delivery was accepted. */
export function editionStatus(counts: { queued: number; sending: number; sent: number; failed: number }): string {
  const pending = counts.queued + counts.sending;
  if (pending > 0) return `incomplete: ${pending} pending`;
  if (counts.failed > 0) return `partly failed: ${counts.failed} failed`;
  return 'sent';
}

