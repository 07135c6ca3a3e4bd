// The service's HTTP routes, in one table: the publish output (feeds, pages,
// editions) from memory with validators and compression, the subscription
// routes, /healthz and /metrics. Security headers and the body limit apply
// to every route; errors become a status (errors.ts) and a readable page.
import { type Context, Hono } from 'hono';
import { accepts } from 'hono/accepts';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { InputError, kindOf } from '../errors.ts';
import { sitePath } from '../site/urls.ts';
import type { SubscriptionDeps } from '../subscribers/service.ts';
import { TokenError } from '../subscribers/tokens.ts';
import type { Env } from './env.ts';
import { RateLimitError, statusOf } from './errors.ts';
import { type SubscribeLimits, clientAddress } from './limits.ts';
import type { Metrics } from './metrics.ts';
import type { Message, ServicePages } from './pages.ts';
import { resolveTarget } from './paths.ts';
import { CACHE_CONTROL, type CachedFile, DOCUMENT_XML_TYPE, type Encoding, type StaticFiles, etagOf, isBrowsableFeed, isNotModified } from './static.ts';
import { subscriptionRoutes, wantsJson } from './subscriptions.ts';

export interface AppDeps {
  config: Config;
  files: StaticFiles;
  pages: ServicePages;
  subscriptions: SubscriptionDeps;
  limits: SubscribeLimits;
  metrics: Metrics;
  /** The service's state for /healthz; `ok: false` answers 503. */
  health: () => Promise<{ ok: boolean; body: unknown }>;
  log: Logger;
}

/**
 * Pages may load nothing from elsewhere and run no script; forms post only
 * here; no one may frame them. Token pages send no Referer at all, so a
 * token never leaves in one.
 */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const TOKEN_PATHS = new Set<string>([sitePath.confirm, sitePath.unsubscribe, sitePath.preferences]);

/** What every HTML page carries; token pages send no Referer at all. */
function pageHeaders(tokenPage: boolean): Record<string, string> {
  return {
    'Content-Security-Policy': PAGE_CSP,
    'Referrer-Policy': tokenPage ? 'no-referrer' : 'strict-origin-when-cross-origin',
  };
}

/** The Chinese page for an error a reader caused or met. */
function readerMessage(err: unknown, status: number): Message {
  if (err instanceof TokenError) {
    return {
      heading: err.problem === 'expired' ? '\u94fe\u63a5\u5df2\u8fc7\u671f' : '\u94fe\u63a5\u65e0\u6548',
      paragraphs: [
        err.problem === 'expired'
          ? '\u786e\u8ba4\u94fe\u63a5\u7684\u6709\u6548\u671f\u662f 7 \u5929\u3002\u8bf7\u5728\u9996\u9875\u91cd\u65b0\u586b\u5199\u90ae\u7bb1\uff0c\u6211\u4eec\u4f1a\u518d\u53d1\u4e00\u5c01\u3002'
          : '\u94fe\u63a5\u4e0d\u5b8c\u6574\u6216\u5df2\u88ab\u6539\u52a8\u3002\u8bf7\u76f4\u63a5\u4ece\u90ae\u4ef6\u4e2d\u70b9\u51fb\u94fe\u63a5\uff0c\u6216\u5b8c\u6574\u590d\u5236\u5230\u6d4f\u89c8\u5668\u3002',
      ],
    };
  }
  if (err instanceof InputError) {
    const what: Record<InputError['field'], string> = {
      email: '\u90ae\u7bb1\u5730\u5740\u65e0\u6548\uff0c\u8bf7\u68c0\u67e5\u540e\u91cd\u65b0\u586b\u5199\u3002',
      name: '\u79f0\u547c\u4e0d\u80fd\u8d85\u8fc7 100 \u4e2a\u5b57\uff0c\u4e5f\u4e0d\u80fd\u5305\u542b\u6362\u884c\u3002',
      schedule: '\u6ca1\u6709\u8fd9\u4e2a\u8ba2\u9605\u9891\u7387\uff0c\u8bf7\u4ece\u5217\u8868\u4e2d\u9009\u62e9\u3002',
      token: '\u94fe\u63a5\u4e0d\u5b8c\u6574\uff0c\u8bf7\u76f4\u63a5\u4ece\u90ae\u4ef6\u4e2d\u70b9\u51fb\u94fe\u63a5\u3002',
      body: '\u63d0\u4ea4\u7684\u5185\u5bb9\u65e0\u6cd5\u8bc6\u522b\uff0c\u8bf7\u4f7f\u7528\u9875\u9762\u4e0a\u7684\u8868\u5355\u3002',
    };
    return { heading: '\u63d0\u4ea4\u7684\u5185\u5bb9\u6709\u8bef', paragraphs: [what[err.field]] };
  }
  if (status === 429) return { heading: '\u8bf7\u6c42\u592a\u9891\u7e41', paragraphs: ['\u8bf7\u7a0d\u540e\u518d\u8bd5\u3002'] };
  if (status === 404) return { heading: '\u9875\u9762\u4e0d\u5b58\u5728', paragraphs: ['\u8fd9\u4e2a\u5730\u5740\u6ca1\u6709\u5185\u5bb9\u3002'] };
  if (status === 413) return { heading: '\u63d0\u4ea4\u7684\u5185\u5bb9\u592a\u957f', paragraphs: ['\u8bf7\u7f29\u77ed\u540e\u518d\u8bd5\u3002'] };
  return { heading: '\u670d\u52a1\u6682\u65f6\u4e0d\u53ef\u7528', paragraphs: ['\u8bf7\u7a0d\u540e\u518d\u8bd5\u3002'] };
}

export function createApp(deps: AppDeps): Hono<Env> {
  const { config, files, pages, metrics, log } = deps;
  const app = new Hono<Env>();

  const errorPage = (c: Context<Env>, status: number, err: unknown) => {
    const message = readerMessage(err, status);
    if (wantsJson(c)) {
      const field = err instanceof InputError ? { field: err.field } : {};
      return c.json({ error: status >= 500 ? 'unavailable' : (err as Error)?.message ?? message.heading, ...field }, status as 400);
    }
    return c.html(pages.message(message.heading, message), status as 400);
  };

  // Who asks, the security headers, and one log line (debug) and one metric per request. Never the query: it holds tokens.
  app.use(async (c, next) => {
    const started = performance.now();
    const incoming = c.env.incoming;
    c.set('client', clientAddress(incoming.socket.remoteAddress, c.req.header('x-forwarded-for'), config.server.trustProxy));
    c.set('route', 'other');
    await next();
    const res = c.res;
    const route = c.get('route');
    // Files set their own headers (serveFile): the hot path touches nothing here but the metric.
    if (!route.startsWith('static:')) {
      res.headers.set('X-Content-Type-Options', 'nosniff');
      if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
        for (const [k, v] of Object.entries(pageHeaders(TOKEN_PATHS.has(c.req.path)))) res.headers.set(k, v);
      }
      if (TOKEN_PATHS.has(c.req.path) || c.req.path === sitePath.subscribe) res.headers.set('Cache-Control', 'no-store');
    }
    metrics.httpRequests.inc({ route, method: c.req.method, status: String(res.status) });
    if (log.isLevelEnabled('debug')) {
      log.debug({ method: c.req.method, path: c.req.path, route, status: res.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request');
    }
  });

  // Only requests that may carry a body: asking a GET for its body would build a full Request per poll.
  const limitBody = bodyLimit({ maxSize: config.server.maxBodyKb * 1024, onError: (c) => errorPage(c, 413, null) });
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  app.onError((err, c) => {
    const status = statusOf(err);
    if (err instanceof RateLimitError) c.header('Retry-After', String(err.retryAfterSeconds));
    if (status >= 500) log.error({ err, route: c.get('route'), kind: kindOf(err) }, `${c.req.method} ${c.req.path}: ${(err as Error).message}`);
    return errorPage(c, status, err);
  });

  app.notFound((c) => {
    c.set('route', 'not-found');
    return errorPage(c, 404, null);
  });

  subscriptionRoutes(app, deps);

  app.get(sitePath.healthz, async (c) => {
    c.set('route', sitePath.healthz);
    const h = await deps.health();
    c.header('Cache-Control', 'no-store');
    return c.json(h.body as object, h.ok ? 200 : 503);
  });

  app.get(sitePath.metrics, async (c) => {
    c.set('route', sitePath.metrics);
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });

  // Everything else is a file of the publish output (or the feed stylesheet).
  app.on(['GET', 'HEAD'], '*', async (c) => {
    const target = resolveTarget(c.env.incoming.url ?? '/');
    if (!target.ok) {
      c.set('route', 'refused');
      return errorPage(c, target.status, null);
    }
    const file = await files.get(target.segments);
    if (!file) return c.notFound();
    c.set('route', `static:${file.kind}`);
    return serveFile(c, file, files);
  });

  return app;
}

async function serveFile(c: Context<Env>, file: CachedFile, files: StaticFiles): Promise<Response> {
  let encoding: Encoding | null = null;
  if (file.compressible) {
    const chosen = accepts(c, { header: 'Accept-Encoding', supports: ['br', 'gzip', 'identity'], default: 'identity' });
    if (chosen === 'br' || chosen === 'gzip') encoding = chosen;
  }
  const browsable = isBrowsableFeed(file);
  const asDocument = browsable && c.req.header('sec-fetch-dest') === 'document';
  const headers: Record<string, string> = {
    'Content-Type': asDocument ? DOCUMENT_XML_TYPE : file.type,
    'Cache-Control': CACHE_CONTROL[file.kind],
    'Last-Modified': file.lastModified,
    'X-Content-Type-Options': 'nosniff',
    ...(file.kind === 'page' ? pageHeaders(false) : {}),
  };
  if (file.compressible) headers.Vary = browsable ? 'Accept-Encoding, Sec-Fetch-Dest' : 'Accept-Encoding';
  // A poll of an unchanged file is answered before anything is compressed or copied.
  if (isNotModified(file, c.req.header('if-none-match'), c.req.header('if-modified-since'))) {
    headers.ETag = etagOf(file, encoding, asDocument);
    return new Response(null, { status: 304, headers });
  }
  const body = encoding === null ? null : await files.encoded(file, encoding);
  if (body === null) encoding = null;
  headers.ETag = etagOf(file, encoding, asDocument);
  if (encoding !== null) headers['Content-Encoding'] = encoding;
  const bytes = body ?? file.body;
  headers['Content-Length'] = String(bytes.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { status: 200, headers });
}
