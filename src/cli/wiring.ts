// The one place that builds the real parts from the config: the store
// (SQLite or PostgreSQL), the template engine.
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { type StoreLocation, openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { type TemplateEngine, createEngine, readTemplates } from '../templates/engine.ts';
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

/** Opens the store, runs fn, and always closes the store. */
export async function withStore<T>(config: Config, io: Io, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStoreFor(config, io);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
