// The parse cache: a disposable speed-up in <data>/cache/. Deleting it costs
// one full re-parse and nothing else (first-seen moments live in the store).
//
// manifest.json   per source: size, mtime, the parse key, the compact form of
//                 its articles (enough for listings and the checks that span
//                 files) and its diagnostics
// parsed/<key>.json  the full parse of one source version
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Article, Diagnostic } from '../model.ts';
import type { ParsedSource } from '../parse/input.ts';
import { writeAtomic } from '../fs-atomic.ts';

const MANIFEST_VERSION = 4;

/**
 * What the archive listing and the corpus checks need of an article, kept
 * for every source. Kept small: the manifest of 10,000 sources is read and
 * written by every build that changes something.
 */
export interface ArticleStub {
  id: string;
  source: string;
  line: number;
  title: string;
  date: string;
  /** SHA-256 of the full article. */
  hash: string;
}

/** Stubs and diagnostics are stored without their source path: it is the entry's key. */
export interface ManifestSource {
  size: number;
  mtimeMs: number;
  /** parsed/<key>.json holds the full parse. */
  key: string;
  rejected: boolean;
  articles: Array<Omit<ArticleStub, 'source'>>;
  diagnostics: Array<Omit<Diagnostic, 'source'>>;
}

export function withoutSource<T extends { source: string }>(x: T): Omit<T, 'source'> {
  const { source: _source, ...rest } = x;
  return rest;
}

export interface Manifest {
  version: number;
  /** Hash of the parser's code and options: a change invalidates every parse. */
  parseKey: string;
  /** The manifest file's own mtime when read (file-system time, not the build clock). */
  writtenAt: number;
  sources: Record<string, ManifestSource>;
}

export function sha256(...parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}

/**
 * The hash of what an article says. Where it sits (the source path as typed,
 * its line) is left out: building with another --articles spelling, or
 * adding a line above it, is not an edit.
 */
export function hashArticle(article: Article): string {
  const { source: _source, line: _line, ...content } = article;
  return sha256(JSON.stringify(content));
}

/**
 * Hash of the code that turns bytes into articles. Reading it each build
 * means a parser change can never be served from a stale cache.
 */
export async function parserCodeKey(): Promise<string> {
  const src = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const dirs = ['parse', 'text'];
  const parts: string[] = [];
  for (const dir of dirs) {
    for (const file of (await readdir(path.join(src, dir))).sort()) {
      parts.push(file, await readFile(path.join(src, dir, file), 'utf8'));
    }
  }
  return sha256(...parts, String(MANIFEST_VERSION));
}

export interface ParseCache {
  /** Where it lives, for messages. */
  readonly dir: string;
  /** The manifest, or an empty one when missing, unreadable, or made by another parser. */
  readManifest(parseKey: string): Promise<Manifest>;
  writeManifest(manifest: Omit<Manifest, 'writtenAt'>): Promise<void>;
  readParsed(key: string): Promise<ParsedSource | null>;
  writeParsed(key: string, parsed: ParsedSource): Promise<void>;
}

/** The cache in a folder. */
export class FolderParseCache implements ParseCache {
  constructor(readonly dir: string) {}

  private get manifestPath(): string {
    return path.join(this.dir, 'manifest.json');
  }

  private parsedPath(key: string): string {
    return path.join(this.dir, 'parsed', `${key}.json`);
  }

  async readManifest(parseKey: string): Promise<Manifest> {
    const empty: Manifest = { version: MANIFEST_VERSION, parseKey, writtenAt: 0, sources: {} };
    try {
      const [text, info] = await Promise.all([readFile(this.manifestPath, 'utf8'), stat(this.manifestPath)]);
      const m = JSON.parse(text) as Omit<Manifest, 'writtenAt'>;
      if (m.version !== MANIFEST_VERSION || m.parseKey !== parseKey) return empty;
      return { ...m, writtenAt: info.mtimeMs };
    } catch {
      return empty;
    }
  }

  async writeManifest(manifest: Omit<Manifest, 'writtenAt'>): Promise<void> {
    await writeAtomic(this.manifestPath, JSON.stringify(manifest));
  }

  async readParsed(key: string): Promise<ParsedSource | null> {
    try {
      return JSON.parse(await readFile(this.parsedPath(key), 'utf8')) as ParsedSource;
    } catch {
      return null;
    }
  }

  async writeParsed(key: string, parsed: ParsedSource): Promise<void> {
    await writeAtomic(this.parsedPath(key), JSON.stringify(parsed));
  }
}

/** Uses what a cache holds and adds nothing to it: for commands that promise to write nothing (`check`). */
export function lookOnly(cache: ParseCache): ParseCache {
  return {
    dir: cache.dir,
    readManifest: (key) => cache.readManifest(key),
    writeManifest: async () => undefined,
    readParsed: (key) => cache.readParsed(key),
    writeParsed: async () => undefined,
  };
}
