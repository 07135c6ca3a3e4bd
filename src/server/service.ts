// The running service: build, serve, watch, schedule; and stop cleanly. The
// parts (store, engine, transport, secret) are built by the caller through
// app/wiring.ts; this module starts them, ties them together and stops them.
//
// One build at a time: the watcher's rebuilds and the scheduler's sends (a
// send builds first) go through the same door, so they never write the
// output folder or the parse cache at once.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from 'pino';
import { type Edge, buildSite, sendRunDeps, writeEditionsIndex } from '../app/wiring.ts';
import type { Config } from '../config/schema.ts';
import type { Corpus } from '../corpus/corpus.ts';
import { ConfigError } from '../errors.ts';
import type { Transport } from '../mail/transport.ts';
import type { Diagnostic, Edition } from '../model.ts';
import type { DeliveryReport } from '../send/deliver.ts';
import { type Scheduler, startScheduler } from '../schedule/loop.ts';
import { timingsOf } from '../schedule/plan.ts';
import { runSend } from '../send/run.ts';
import { deliveryActivity, editionStatus, workerStaleMs } from '../send/status.ts';
import { runWorker } from '../send/worker.ts';
import { FEEDS } from '../site/feeds.ts';
import { siteOf, siteViewOf } from '../site/site.ts';
import { outputFile, sitePath, siteUrl } from '../site/urls.ts';
import type { Store } from '../store/open.ts';
import { confirmationSender } from '../subscribers/confirmation.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { createApp } from './app.ts';
import { backgroundConfirmations } from './confirmations.ts';
import { subscribeLimits } from './limits.ts';
import { type Metrics, createMetrics } from './metrics.ts';
import { servicePages } from './pages.ts';
import { debouncedRebuilds, watchArticles } from './rebuild.ts';
import { staticFiles } from './static.ts';
import { pingHub } from './websub.ts';

export interface ServiceParts {
  config: Config;
  edge: Edge;
  log: Logger;
  store: Store;
  engine: TemplateEngine;
  transport: Transport;
  secret: string;
  /** Start the scheduler (default true); tests of the HTTP side turn it off. */
  schedule?: boolean;
  /** Watch the articles folder (default true). */
  watch?: boolean;
  /** For tests: WebSub pings go through this fetch. */
  fetcher?: typeof fetch;
}

export interface Service {
  /** `http://127.0.0.1:8080` as bound (the real port when 0 was asked for). */
  url: string;
  port: number;
  metrics: Metrics;
  /** Resolves when no rebuild is pending or running (tests). */
  idle(): Promise<void>;
  /** Stops accepting, finishes what is in flight (requests, SMTP transactions, a build), stops the watcher and scheduler. */
  stop(): Promise<void>;
}

interface BuildState {
  at: string;
  ms: number;
  sources: number;
  articles: number;
  rejected: string[];
  diagnostics: Record<Diagnostic['severity'], number>;
  /** Errors and warnings, the first 100. */
  problems: Array<Pick<Diagnostic, 'source' | 'line' | 'severity' | 'code' | 'message'>>;
  error?: string;
}

const FEED_FILES = new Set(FEEDS.map((f) => outputFile(sitePath.feed(f))));
/** WebSub topics: the feeds that name the hub (the XML ones). */
const HUB_FEEDS = FEEDS.filter((f) => f.format !== 'json');

/** A queue of one: fn runs after everything queued before it. */
function serialised(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function startService(parts: ServiceParts): Promise<Service> {
  const { config, edge, log, store, engine, transport, secret } = parts;
  const site = siteOf(config);
  const view = siteViewOf(site);
  const metrics = createMetrics();
  const files = staticFiles(config.paths.out, { [outputFile(sitePath.feedStylesheet)]: path.join(config.paths.templates, 'feed.xsl') });
  const oneBuildAtATime = serialised();
  let lastBuild: BuildState | null = null;
  const pings = new Set<Promise<void>>();

  /** The one door to a build: read and record the articles, publish, refresh the served files, tell the hub. */
  const build = (why: string): Promise<Corpus> =>
    oneBuildAtATime(async () => {
      const started = performance.now();
      const now = edge.clock();
      try {
        const { corpus, report } = await buildSite(config, store, engine, now);
        files.invalidate(report.changedFiles);
        const counts = { error: 0, warning: 0, info: 0 };
        for (const d of corpus.diagnostics) counts[d.severity]++;
        const problems = corpus.diagnostics.filter((d) => d.severity !== 'info');
        lastBuild = {
          at: now.toISOString(),
          ms: Math.round(performance.now() - started),
          sources: corpus.sources,
          articles: corpus.articles.length,
          rejected: corpus.rejected,
          diagnostics: counts,
          problems: problems.slice(0, 100).map(({ source, line, severity, code, message }) => ({ source, line, severity, code, message })),
        };
        metrics.builds.inc({ result: corpus.rejected.length > 0 ? 'rejected' : 'ok' });
        metrics.sourcesRejected.set(corpus.rejected.length);
        for (const [severity, n] of Object.entries(counts)) metrics.diagnostics.set({ severity }, n);
        for (const d of problems) log.warn({ source: d.source, line: d.line, code: d.code }, `${d.source}:${d.line}: ${d.severity}: ${d.message}`);
        const changedFeeds = report.changedFiles.filter((f) => FEED_FILES.has(f));
        log.info(
          { why, ms: lastBuild.ms, sources: corpus.sources, articles: corpus.articles.length, rejected: corpus.rejected.length, changed: report.changedFiles.length, ...counts },
          `build: ${corpus.articles.length} articles from ${corpus.sources} sources, ${corpus.rejected.length} rejected, ${report.changedFiles.length} files changed`,
        );
        if (changedFeeds.length > 0) {
          await files.warm(changedFeeds);
          const hub = config.feed.websub.hub;
          if (hub) {
            const topics = HUB_FEEDS.filter((f) => changedFeeds.includes(outputFile(sitePath.feed(f)))).map((f) => siteUrl(config.site.baseUrl, sitePath.feed(f)));
            const p = pingHub({ hub, topics }, parts.fetcher).then((failures) => {
              for (const f of failures) log.warn({ hub, topic: f.topic }, `websub: ping for ${f.topic} failed: ${f.problem}`);
              if (failures.length === 0) log.info({ hub, topics }, 'websub: hub pinged');
            });
            pings.add(p);
            void p.finally(() => pings.delete(p));
          }
        }
        return corpus;
      } catch (err) {
        metrics.builds.inc({ result: 'failed' });
        lastBuild = { ...(lastBuild ?? { at: now.toISOString(), ms: 0, sources: 0, articles: 0, rejected: [], diagnostics: { error: 0, warning: 0, info: 0 }, problems: [] }), error: (err as Error).message };
        throw err;
      }
    });

  // 1. Build before serving: what is served is what the sources hold now.
  await build('start-up');
  await writeEditionsIndex(config, engine, store);

  // 2. Subscriptions: confirmations leave after the answer; the same transport as the digests.
  const direct = {
    store: store.subscribers,
    config,
    clock: edge.clock,
    secret,
    newId: () => edge.random(16),
    confirmations: confirmationSender({ config, engine, transport, secret, clock: edge.clock, random: () => edge.random(8) }),
  };
  const confirmations = backgroundConfirmations(direct, log);
  const subscriptions = { ...direct, confirmations };

  // 3. The scheduler: each schedule's cron in its zone, runSend per tick, catch-up once.
  let scheduler: Scheduler | null = null;
  const timings = timingsOf(config);
  const runSchedule = async (schedule: string, reason: string, scheduledFor: Date, signal: AbortSignal) => {
    const now = edge.clock();
    log.info({ schedule, reason, scheduledFor: scheduledFor.toISOString() }, `send: ${schedule} (${reason}, due ${scheduledFor.toISOString()})`);
    const deps = await sendRunDeps(config, edge, { store, engine, transport, secret }, {
      now,
      signal,
      corpus: () => build(`send ${schedule}`),
      onProgress: (p) => {
        const seconds = (p.now - p.startedAt) / 1000;
        metrics.sendRate.set({ schedule }, seconds > 0 ? p.sentNow / seconds : 0);
        metrics.deliveriesPending.set({ schedule }, p.counts.queued + p.counts.sending);
      },
    });
    const result = await runSend(deps, { schedule, resumeOnly: reason === 'resume' });
    switch (result.kind) {
      case 'nothing-unfinished':
        log.info({ schedule }, `send: ${schedule}: nothing left to resume`);
        return;
      case 'nothing-new':
        log.info({ schedule, since: result.since }, `send: ${schedule}: nothing new since ${result.since}; no edition`);
        return;
      case 'busy':
        log.warn({ schedule, holder: result.holder }, `send: ${schedule}: another send holds the lease until ${result.expiresAt}; not sending`);
        return;
      case 'dry-run':
        return;
      case 'delivered':
      case 'lease-lost': {
        const { edition, report } = result;
        if (result.kind === 'delivered' && !result.resumed) metrics.editions.inc({ schedule });
        metrics.deliveries.inc({ state: 'sent' }, report.sentNow);
        metrics.deliveries.inc({ state: 'failed' }, report.failedNow);
        metrics.deliveriesPending.set({ schedule }, report.counts.queued + report.counts.sending);
        const line = {
          schedule,
          edition: edition.id,
          status: editionStatus(report.counts),
          sent: report.counts.sent,
          failed: report.counts.failed,
          pending: report.counts.queued + report.counts.sending,
          stopped: report.stopped,
        };
        const msg = `edition ${edition.id}: ${report.counts.sent} sent, ${report.counts.failed} failed, ${line.pending} pending`;
        if (result.kind === 'lease-lost' || report.stopped === 'transport-unavailable') log.error({ ...line, problem: report.problem }, `${msg} (stopped: ${result.kind === 'lease-lost' ? 'lost the lease' : report.problem})`);
        else log.info(line, msg);
      }
    }
  };

  // 4. Health: the store answers, the last build, each schedule's next run and last edition.
  const health = async () => {
    let reachable = true;
    let storeError: string | undefined;
    const schedules: Record<string, unknown> = {};
    for (const t of timings) {
      let last = null;
      try {
        const [e] = await store.editions.list(t.id);
        if (e) last = { id: e.id, createdAt: e.createdAt, status: editionStatus(e.counts), counts: e.counts };
      } catch (err) {
        reachable = false;
        storeError = (err as Error).message;
      }
      schedules[t.id] = {
        cron: t.cron,
        timeZone: t.timeZone,
        next: scheduler?.next(t.id)?.toISOString() ?? null,
        running: scheduler?.running(t.id) ?? false,
        lastEdition: last,
      };
    }
    // Delivery across every worker and machine: open editions, their progress, who is on them.
    let delivery: unknown = null;
    if (reachable) {
      try {
        delivery = await deliveryActivity(store, edge.clock(), workerStaleMs(config.send.claimSeconds));
      } catch (err) {
        reachable = false;
        storeError = (err as Error).message;
      }
    }
    const b = lastBuild as BuildState | null;
    const degraded = !b || b.error !== undefined || b.rejected.length > 0;
    return {
      ok: reachable,
      body: {
        status: !reachable ? 'failing' : degraded ? 'degraded' : 'ok',
        store: reachable ? { reachable } : { reachable, error: storeError },
        build: b,
        schedules,
        delivery,
      },
    };
  };

  // 5. HTTP.
  const app = createApp({
    config,
    files,
    pages: servicePages(engine, site, view),
    subscriptions,
    limits: subscribeLimits(config.server.rateLimit),
    metrics,
    health,
    log,
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const { host, port } = config.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConfigError(`server.port: error: cannot listen on ${host}:${port} (${err.code ?? err.message}); use --host/--port`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  log.info({ url, out: config.paths.out, baseUrl: config.site.baseUrl }, `serving ${config.paths.out}/ at ${url}`);

  // 6. Live rebuilds.
  const rebuilds = debouncedRebuilds(async () => {
    await build('articles changed').catch((err: unknown) => log.error({ err: (err as Error).message }, `build failed: ${(err as Error).message}`));
  }, config.server.rebuildDelayMs);
  const watcher =
    parts.watch === false
      ? null
      : watchArticles(config.paths.articles, () => rebuilds.touch(), (err) => log.error({ err: (err as Error).message }, 'watching the articles folder failed'));
  await watcher?.ready;

  if (parts.schedule !== false) {
    scheduler = startScheduler({
      timings,
      clock: edge.clock,
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(done, ms);
          function done() {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
        }),
      lastRun: async (id) => {
        const last = await store.editions.last(id);
        return last ? new Date(last.createdAt) : null;
      },
      unfinished: async (id) => (await store.editions.unfinished(id)) !== null,
      run: runSchedule,
      log,
    });
    for (const t of timings) log.info({ schedule: t.id, cron: t.cron, timeZone: t.timeZone, next: scheduler.next(t.id)?.toISOString() ?? null }, `schedule ${t.id}: next run ${scheduler.next(t.id)?.toISOString() ?? 'never'}`);
  }

  // 7. With send.workers: a delivery worker too, sharing every open edition
  // (frozen by this or another `serve`, or a `send`) with the other workers.
  const workerStop = new AbortController();
  let worker: Promise<void> | null = null;
  if (config.send.workers) {
    const deps = await sendRunDeps(config, edge, { store, engine, transport, secret }, { now: edge.clock(), signal: workerStop.signal });
    const onEdition = (edition: Edition, report: DeliveryReport) => {
      metrics.deliveries.inc({ state: 'sent' }, report.sentNow);
      metrics.deliveries.inc({ state: 'failed' }, report.failedNow);
      log.info({ edition: edition.id, sent: report.sentNow, failed: report.failedNow }, `worker: edition ${edition.id}: sent ${report.sentNow}, failed ${report.failedNow}`);
    };
    const runOnce = async (): Promise<void> => {
      let trouble: string | undefined;
      try {
        const run = await runWorker({ ...deps, transport }, { onEdition });
        if (run.stopped === 'transport-unavailable') trouble = `mail: ${run.problem}`;
      } catch (err) {
        // The store gone for longer than its retries (a failover), or a bug: log it, try again, never leave the share to the others for good.
        trouble = (err as Error).message;
      }
      if (trouble === undefined || workerStop.signal.aborted) return;
      log.error({ problem: trouble }, `worker: ${trouble}; trying again in a minute`);
      await deps.sleep(60_000, workerStop.signal);
      if (!workerStop.signal.aborted) return runOnce();
    };
    worker = runOnce();
    log.info({ holder: deps.holder }, 'delivery worker: joining open editions (send.workers)');
  }

  return {
    url,
    port: address.port,
    metrics,
    idle: () => rebuilds.idle(),
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The worker first: it must stop claiming now, not after the rebuilds are done.
      workerStop.abort();
      await watcher?.close();
      await rebuilds.close();
      await Promise.all([scheduler?.stop(), worker]);
      await confirmations.settled();
      await Promise.all([...pings]);
      await closed;
    },
  };
}
