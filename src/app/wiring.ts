// The one place that builds the real parts from the settings: the store
// (SQLite or PostgreSQL), the template engine, the mail transport, the
// secret, the corpus stage and the publish stage. The CLI's commands and the
// server ask for parts here; nothing below picks an implementation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { ConfigError, StoreError } from '../errors.ts';
import type { Corpus } from '../corpus/corpus.ts';
import { hasManifest } from '../corpus/cache.ts';
import { type ItemHistory, emptyHistory, previewHistory, recordingHistory } from '../corpus/history.ts';
import { writeAtomic } from '../fs-atomic.ts';
import type { Transport } from '../mail/transport.ts';
import type { PublishReport } from '../publish/publish.ts';
import type { StampInputs } from '../publish/stamp.ts';
import { type SourceListing, type SourceRef, sourcesAtTop } from '../corpus/sources.ts';
import type { ParseSettings } from '../parse/input.ts';
import type { PatchReport } from '../publish/patch.ts';
import type { ThreadsAhead } from '../corpus/workers.ts';
import { outputFile } from '../site/urls.ts';
import type { Store, StoreLocation } from '../store/open.ts';
import type { SubscriptionDeps } from '../subscribers/service.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import type { Settings } from '../config/settings.ts';

/** What building the parts needs of the outside world (the CLI's Io, or the server's). */
export interface Edge {
  /** The real clock. */
  clock: () => Date;
  /** Random bytes as lower-case hex. */
  random: (bytes: number) => string;
  /** Where operator notices go (stderr, or the log). */
  stderr: (text: string) => void;
}

export function storeLocation(settings: Settings): StoreLocation {
  const { config, env } = settings;
  return {
    databaseUrl: env.databaseUrl ?? undefined,
    sqlitePath: config.paths.db ?? path.join(config.paths.data, 'broadsheet.db'),
  };
}

export async function openStoreFor(settings: Settings, io: Pick<Edge, 'clock'>): Promise<Store> {
  const { openStore } = await import('../store/open.ts');
  return openStore(storeLocation(settings), io.clock);
}

/**
 * Opens the store, runs fn, and always closes the store. A database fault
 * on the way (a damaged file, a full disk, a server gone) ends as one
 * StoreError line naming the database, not a driver's stack trace.
 */
export async function withStore<T>(settings: Settings, io: Pick<Edge, 'clock'>, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFor(settings, io);
  try {
    return await fn(store);
  } catch (err) {
    const [{ describeStoreFault }, { describeLocation }] = await Promise.all([import('../store/faults.ts'), import('../store/open.ts')]);
    const fault = describeStoreFault(err);
    if (fault !== null) throw new StoreError(`${describeLocation(storeLocation(settings))}: error: ${fault}`, { cause: err });
    throw err;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * Runs fn with a store if there is one yet; with null (and no database
 * created) when there is none: `check` on a fresh checkout writes nothing.
 */
export async function withExistingStore<T>(settings: Settings, io: Pick<Edge, 'clock'>, fn: (store: Store | null) => Promise<T>): Promise<T> {
  const loc = storeLocation(settings);
  if (!loc.databaseUrl && !existsSync(loc.sqlitePath)) return fn(null);
  return withStore(settings, io, fn);
}

/** The template engine; `checked`: the templates are the ones a build has checked (parsed) already, parse each on first use. */
export async function loadEngine(config: Config, options: { checked?: boolean } = {}): Promise<TemplateEngine> {
  const { createEngine, readTemplates } = await import('../templates/engine.ts');
  return createEngine(await readTemplates(config.paths.templates), config.paths.templates, options.checked ? { checked: true } : {});
}

/**
 * Checks every MJML template with MJML's validator, so a broken one stops
 * start-up, not the first send. `check` is mjml.ts checkMjmlTemplate unless
 * given (send passes the one of its MJML thread).
 */
export async function checkEmailTemplates(engine: TemplateEngine, config: Config, check?: (source: string, where: string) => Promise<void>): Promise<void> {
  const checkTemplate = check ?? (await import('../mail/mjml.ts')).checkMjmlTemplate;
  for (const [name, source] of Object.entries(engine.sources)) {
    if (name.endsWith('.mjml')) await checkTemplate(source, path.join(config.paths.templates, name));
  }
}

/**
 * Before mail goes to a real SMTP server: links must point at the public
 * site, and the sender must be named. A default config once sent hundreds of
 * real messages from noreply@localhost.localdomain with links to
 * http://127.0.0.1:8080. `--allow-local` lets a test setup through.
 */
export function checkReadyToMail(settings: Settings): void {
  if (settings.env.smtpUrl === null || settings.allowLocal) return;
  const { config } = settings;
  const host = new URL(config.site.baseUrl).hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0' || host === '::';
  if (local) {
    throw new ConfigError(
      `site.baseUrl: error: ${config.site.baseUrl} is a local address, but mail goes to a real SMTP server (SMTP_URL): every link in it would point at the reader's own machine; set site.baseUrl (or BROADSHEET_BASE_URL) to the public address, or pass --allow-local for a test setup`,
    );
  }
  if (config.mail.from.address === undefined) {
    throw new ConfigError(
      'mail.from.address: error: not set, but mail goes to a real SMTP server (SMTP_URL): set the address readers see and reply to (and that your SPF/DKIM cover), or pass --allow-local for a test setup',
    );
  }
}

/** The mail transport, announced on stderr so an operator knows where mail goes. */
export async function openTransport(settings: Settings, io: Pick<Edge, 'stderr'>): Promise<Transport> {
  checkReadyToMail(settings);
  const { createTransport } = await import('../mail/factory.ts');
  const transport = await createTransport(settings.config, settings.env);
  io.stderr(
    settings.env.smtpUrl !== null
      ? `mail: sending through ${transport.description}\n`
      : `mail: SMTP_URL is not set; messages go to the ${transport.description} (nothing is sent)\n`,
  );
  return transport;
}

/** The token-signing secret; a warning goes to `warn` when its file is readable by others. */
export async function loadSecretFor(settings: Settings, warn?: (text: string) => void): Promise<string> {
  const { loadSecret } = await import('../subscribers/secret.ts');
  return loadSecret(settings.env, settings.config.paths.data, warn && ((message) => warn(`${message}\n`)));
}

/** Everything subscribing needs; close the transport when done. */
export async function subscriptionDeps(
  settings: Settings,
  io: Edge,
  store: Store,
): Promise<SubscriptionDeps & { transport: Transport }> {
  const { config } = settings;
  const { confirmationSender } = await import('../subscribers/confirmation.ts');
  const engine = await loadEngine(config);
  await checkEmailTemplates(engine, config);
  const transport = await openTransport(settings, io);
  const secret = await loadSecretFor(settings, io.stderr);
  const clock = io.clock;
  return {
    store: store.subscribers,
    config,
    clock,
    secret,
    newId: () => io.random(16),
    transport,
    confirmations: confirmationSender({ config, engine, transport, secret, clock, random: () => io.random(8) }),
  };
}

/** Which history the corpus stage gets: recorded (build, send), looked at (dry runs), or none yet (check on a fresh checkout). */
function historyOf(store: Store | null, mode: 'record' | 'look'): ItemHistory {
  if (store === null) return emptyHistory;
  return mode === 'record' ? recordingHistory(store.items) : previewHistory(store.items);
}

/**
 * The corpus stage, wired to the config's folders and the parser's code.
 * `look` reads without writing anything: the history is only looked at and
 * the parse cache not added to (`check`, `digest`, `send --dry-run`).
 */
export async function readCorpusFor(
  config: Config,
  store: Store | null,
  mode: 'record' | 'look',
  now: Date,
  options: { warm?: string[]; listing?: SourceListing; ahead?: ThreadsAhead } = {},
): Promise<Corpus> {
  const [{ readCorpus }, { parserCodeKey, FolderParseCache, lookOnly }] = await Promise.all([import('../corpus/corpus.ts'), import('../corpus/cache.ts')]);
  const cache = new FolderParseCache(path.join(config.paths.data, 'cache'));
  return readCorpus({
    articles: config.paths.articles,
    parse: parseSettingsOf(config),
    cache: mode === 'record' ? cache : lookOnly(cache),
    parserKey: await parserCodeKey(),
    history: historyOf(store, mode),
    now,
    ...(options.warm ? { warm: options.warm } : {}),
    ...(options.listing ? { listing: options.listing } : {}),
    ...(options.ahead ? { ahead: options.ahead } : {}),
  });
}

/**
 * Worker threads started at once, before the sources are listed, the store
 * opened and the templates loaded, when `build` is sure to parse or render
 * thousands of sources: the parse cache or the output folder is missing (a
 * first build, a new machine, a new output folder). Started later, they
 * would load their modules while the sources wait. Null otherwise: a build
 * that turns out to have little to do would pay for threads it does not
 * use. `sources` counts them (default: about, from the top of the
 * articles folder, before it is listed); it is asked only when the build
 * will write everything.
 */
export async function threadsAheadFor(config: Config, sources = () => sourcesAtTop(config.paths.articles)): Promise<ThreadsAhead | null> {
  // Two looks first: a build that will not write everything loads nothing more here.
  const everything = !hasManifest(path.join(config.paths.data, 'cache')) || !existsSync(config.paths.out);
  if (!everything) return null;
  const [{ DEFAULT_THREADS }, { ThreadsAhead }, { PAGE_TASK }] = await Promise.all([
    import('../corpus/corpus.ts'),
    import('../corpus/workers.ts'),
    import('../publish/publish.ts'),
  ]);
  if (DEFAULT_THREADS.max < 1) return null;
  const count = sources();
  if (count < Math.max(1, DEFAULT_THREADS.from)) return null;
  return new ThreadsAhead(Math.min(DEFAULT_THREADS.max, Math.ceil(count / 64)), [PAGE_TASK]);
}

function parseSettingsOf(config: Config): ParseSettings {
  return { timeZone: config.site.timeZone, punctuation: config.parse.punctuation, maxSourceBytes: config.parse.maxSourceBytes };
}

/**
 * `build` when only the text of some sources changed since the last build
 * (the stamp says which): their pages brought up to date in place, or null
 * when a real build is needed (publish/patch.ts).
 */
export async function patchSite(
  config: Config,
  store: Store,
  engine: TemplateEngine,
  now: Date,
  since: { changed: SourceRef[]; lead: string[]; rejected: string[] },
  beforeWriting: () => void,
): Promise<PatchReport | null> {
  const [{ patchSite: patch }, { parseKeyOf }, { parserCodeKey, rendererCodeKey, FolderParseCache }, { siteOf }] = await Promise.all([
    import('../publish/patch.ts'),
    import('../corpus/corpus.ts'),
    import('../corpus/cache.ts'),
    import('../site/site.ts'),
  ]);
  const cacheDir = path.join(config.paths.data, 'cache');
  const parse = parseSettingsOf(config);
  const [parserKey, codeKey] = await Promise.all([parserCodeKey(), rendererCodeKey()]);
  return patch(since.changed, { lead: new Set(since.lead), rejected: new Set(since.rejected) }, {
    out: config.paths.out,
    cacheDir,
    cache: new FolderParseCache(cacheDir),
    parseKey: parseKeyOf(parserKey, parse),
    parse,
    items: store.items,
    site: siteOf(config),
    engine,
    codeKey,
    now,
    beforeWriting,
  });
}

/** Publishes a corpus into the config's output folder. */
export async function publishFor(config: Config, engine: TemplateEngine, corpus: Corpus): Promise<PublishReport> {
  const [{ publish }, { siteOf }, { rendererCodeKey }] = await Promise.all([
    import('../publish/publish.ts'),
    import('../site/site.ts'),
    import('../corpus/cache.ts'),
  ]);
  const cacheDir = path.join(config.paths.data, 'cache');
  return publish(corpus, { site: siteOf(config), engine, out: config.paths.out, cacheDir, codeKey: await rendererCodeKey() });
}

/**
 * `build`: read and record the articles, then publish them. The corpus
 * returned is what is on the site: a source whose page could not be written
 * is rejected there too (with its error), so `send` does not mail it.
 */
export async function buildSite(
  config: Config,
  store: Store,
  engine: TemplateEngine,
  now: Date,
  from: { listing?: SourceListing; ahead?: ThreadsAhead | null } = {},
): Promise<{ corpus: Corpus; report: PublishReport }> {
  const [{ PAGE_TASK }, { rendererCodeKey }] = await Promise.all([import('../publish/publish.ts'), import('../corpus/cache.ts')]);
  // Read while the sources are parsed, not after.
  rendererCodeKey().catch(() => undefined);
  const corpus = await readCorpusFor(config, store, 'record', now, {
    warm: [PAGE_TASK],
    ...(from.listing ? { listing: from.listing } : {}),
    ...(from.ahead ? { ahead: from.ahead } : {}),
  });
  try {
    const report = await publishFor(config, engine, corpus);
    // Publish had the store record the reading while it rendered; this only makes sure.
    await corpus.settle();
    if (report.rejected.length === 0) return { corpus, report };
    return {
      corpus: {
        ...corpus,
        articles: report.published,
        diagnostics: [...corpus.diagnostics, ...report.diagnostics],
        rejected: [...corpus.rejected, ...report.rejected],
      },
      report,
    };
  } finally {
    // The worker threads are done; the corpus still loads articles, on this thread.
    await corpus.close();
  }
}

/**
 * What `build`'s stamp compares (publish/stamp.ts): the config's folders,
 * the whole config and the store's location, and the files that tell the
 * SQLite store apart (none can for PostgreSQL: no stamp there).
 */
export function stampInputsFor(settings: Settings): StampInputs {
  const { config } = settings;
  const store = storeLocation(settings);
  const db = store.sqlitePath;
  return {
    articles: config.paths.articles,
    out: config.paths.out,
    templates: config.paths.templates,
    cacheDir: path.join(config.paths.data, 'cache'),
    settings: { config, store },
    storeFiles: store.databaseUrl ? null : [db, `${db}-wal`, `${db}-journal`],
  };
}

/** Writes a page (an edition's web page) into the output folder at its site path. */
export function pageWriter(config: Config): (sitePath: string, html: string) => Promise<void> {
  return (sitePath, html) => writeAtomic(path.join(config.paths.out, outputFile(sitePath)), html);
}

// ── The server's parts (and what `send` shares with its scheduler) ─────────

/** Writes the index of past editions (/editions/) from the store into the output folder. */
export async function writeEditionsIndex(config: Config, engine: TemplateEngine, store: Pick<Store, 'editions'>): Promise<void> {
  const [{ renderEditionsIndex }, { siteOf, siteViewOf }, { sitePath: paths }] = await Promise.all([
    import('../pages/editions.ts'),
    import('../site/site.ts'),
    import('../site/urls.ts'),
  ]);
  const site = siteOf(config);
  const html = renderEditionsIndex(engine, site, siteViewOf(site), await store.editions.list());
  await pageWriter(config)(paths.editions, html);
}

/**
 * Writes an edition's web page, then the editions index with it listed
 * (the edition is frozen in the store before its page is written), so a
 * site hosted as static files has both after every send.
 */
export function editionPageWriter(config: Config, engine: TemplateEngine, store: Pick<Store, 'editions'>): (sitePath: string, html: string) => Promise<void> {
  const write = pageWriter(config);
  return async (sitePath, html) => {
    await write(sitePath, html);
    await writeEditionsIndex(config, engine, store);
  };
}

/** Waits ms, or less when the signal aborts. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Everything one real `send` of a schedule needs, as `broadsheet send` and
 * the server's scheduler both run it. `corpus` defaults to a build (read,
 * record, publish); the server passes its own, serialised with its rebuilds.
 */
export async function sendRunDeps(
  config: Config,
  edge: Edge,
  parts: { store: Store; engine: TemplateEngine; transport: Transport; secret: string },
  run: {
    now: Date;
    signal?: AbortSignal;
    onProgress?: (p: import('../send/deliver.ts').DeliveryProgress) => void;
    corpus?: () => Promise<Corpus>;
  },
): Promise<import('../send/run.ts').SendRunDeps> {
  const { holderId, holderIsDead } = await import('../process-identity.ts');
  const { store, engine, transport, secret } = parts;
  return {
    store,
    holder: holderId(edge.random(8)),
    isDead: holderIsDead,
    config,
    engine,
    transport,
    secret,
    clock: edge.clock,
    now: run.now,
    random: () => edge.random(8),
    sleep: abortableSleep,
    jitter: () => parseInt(edge.random(6), 16) / 2 ** 48,
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    corpus: run.corpus ?? (async () => (await buildSite(config, store, engine, run.now)).corpus),
    writePage: editionPageWriter(config, engine, store),
  };
}
