// The one place that builds the real parts from the config: the store
// (SQLite or PostgreSQL), the template engine.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { type StoreLocation, openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { type TemplateEngine, createEngine, readTemplates } from '../templates/engine.ts';
import { createTransport } from '../send/factory.ts';
import type { Transport } from '../send/transport.ts';
import { confirmationSender } from '../subscribers/confirmation.ts';
import { loadSecret } from '../subscribers/secret.ts';
import type { SubscriptionDeps } from '../subscribers/service.ts';
import { checkMjmlTemplate } from '../mail/mjml.ts';
import type { Io } from './context.ts';

export function storeLocation(config: Config, env: NodeJS.ProcessEnv): StoreLocation {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    sqlitePath: config.paths.db ?? path.join(config.paths.data, 'broadsheet.db'),
  };
}

export async function openStoreFor(config: Config, io: Io): Promise<Store> {
  return openStore(storeLocation(config, io.env), io.clock);
}

export async function loadEngine(config: Config): Promise<TemplateEngine> {
  return createEngine(await readTemplates(config.paths.templates), config.paths.templates);
}

/** Checks every MJML template with MJML's validator, so a broken one stops start-up, not the first send. */
export async function checkEmailTemplates(engine: TemplateEngine, config: Config): Promise<void> {
  for (const [name, source] of Object.entries(engine.sources)) {
    if (name.endsWith('.mjml')) await checkMjmlTemplate(source, path.join(config.paths.templates, name));
  }
}

/** The mail transport, announced on stderr so an operator knows where mail goes. */
export async function openTransport(config: Config, io: Io): Promise<Transport> {
  const transport = await createTransport(config, io.env);
  io.stderr(
    io.env.SMTP_URL
      ? `mail: sending through ${transport.description}\n`
      : `mail: SMTP_URL is not set; messages go to the ${transport.description} (nothing is sent)\n`,
  );
  return transport;
}

/** Everything subscribing needs; close the transport when done. */
export async function subscriptionDeps(
  config: Config,
  io: Io,
  store: Store,
  clock: () => Date,
): Promise<SubscriptionDeps & { transport: Transport }> {
  const engine = await loadEngine(config);
  await checkEmailTemplates(engine, config);
  const transport = await openTransport(config, io);
  const secret = await loadSecret(io.env, config.paths.data);
  const random = () => io.random(8);
  return {
    store,
    config,
    clock,
    secret,
    newId: () => io.random(16),
    transport,
    confirmations: confirmationSender({ config, engine, transport, secret, clock, random }),
  };
}

/**
 * First-seen moments recorded by earlier builds, if there is a store yet;
 * an empty map (and no database created) when there is none.
 */
export async function knownFirstSeen(config: Config, io: Io): Promise<Map<string, string>> {
  const loc = storeLocation(config, io.env);
  if (!loc.databaseUrl && !existsSync(loc.sqlitePath)) return new Map();
  return withStore(config, io, (store) => store.sourcesFirstSeen());
}

/** Opens the store, runs fn, and always closes the store. */
export async function withStore<T>(config: Config, io: Io, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFor(config, io);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
