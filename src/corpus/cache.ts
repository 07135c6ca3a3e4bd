// The parse cache: a disposable speed-up in <data>/cache/. Deleting it costs
// one full re-parse and nothing else (first-seen moments live in the store).
//
// manifest/NN.json  per source: size, mtime, the parse key, the compact form
//                   of its articles (enough for listings, the checks that
//                   span files and the page keys) and its diagnostics; in 64
//                   shards by the source's path, so that a build that changed
//                   a few sources writes a few small files, not 6 MB, and
//                   one that brings a few pages up to date (publish/patch.ts)
//                   reads only theirs
//
// Full articles are not cached: the parser reads a source faster than the
// JSON of its parse could be read back, so a build that needs an article it
// did not parse this time (a feed item, a page to render again) parses the
// source again. Up to version 4 the cache also kept parsed/<key>.json per
// source; the first manifest written removes that folder. Up to version 6
// the manifest was one file, manifest.json; the first shards written remove it.
import { hash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Article, Diagnostic, Severity } from '../model.ts';
import { outputErrorOf, writeAtomic } from '../fs-atomic.ts';
import { Scratch, utf8Bound } from '../text/scratch.ts';

const MANIFEST_VERSION = 7;

/** Shards of the manifest (a power of two). */
const SHARDS = 64;

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

/** An article stub as the manifest keeps it: a row, not an object, so 10,000 of them read fast. Its source is the entry's key. */
export type StubRow = [id: string, line: number, title: string, date: string, hash: string];

/** A diagnostic as the manifest keeps it, without its source. */
export type DiagnosticRow = [line: number, severity: Severity, code: string, message: string];

export interface ManifestSource {
  size: number;
  mtimeMs: number;
  /** Hash of the parser, the settings, the path, the first-seen moment and the bytes read. */
  key: string;
  rejected: boolean;
  articles: StubRow[];
  diagnostics: DiagnosticRow[];
}

/**
 * A source's entry after it was read again: the summary of its new parse,
 * or, when it held the bytes its entry was made from (summary null), that
 * entry with the new size and time.
 */
export function entryAfterReading(
  file: { size: number; mtimeMs: number },
  old: ManifestSource | undefined,
  summary: Omit<ManifestSource, 'size' | 'mtimeMs'> | null,
): ManifestSource {
  if (summary === null) return { ...old!, size: file.size, mtimeMs: file.mtimeMs };
  return { size: file.size, mtimeMs: file.mtimeMs, ...summary };
}

export function stubRow(a: Omit<ArticleStub, 'source'>): StubRow {
  return [a.id, a.line, a.title, a.date, a.hash];
}

export function diagnosticRow(d: Diagnostic): DiagnosticRow {
  return [d.line, d.severity, d.code, d.message];
}

export interface Manifest {
  version: number;
  /** Hash of the parser's code and options: a change invalidates every parse. */
  parseKey: string;
  sources: Record<string, ManifestSource>;
  /** When the entry of a source was written: its shard's mtime when read (file-system time, not the build clock); 0 when none. */
  writtenAtOf(source: string): number;
}

/** What is written: the entries, under the parser's key. */
export type ManifestContent = Pick<Manifest, 'version' | 'parseKey' | 'sources'>;

/** The shard a source's entry is kept in: FNV-1a of its path. Stable: a shard read is found where it was written. */
export function shardOf(source: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    h ^= source.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (SHARDS - 1);
}

/** Parts up to 1 MB in all are hashed from one reused buffer; larger ones from their own. */
const scratch = new Scratch(1 << 16, 1 << 20);

/**
 * SHA-256 of the parts, each followed by a NUL, strings as UTF-8. A build
 * hashes every source and every article: the parts are written into one
 * buffer and hashed in one call (crypto.hash), which spares a Hash object
 * per call and gives the same digest of the same bytes.
 */
export function sha256(...parts: Array<string | Uint8Array>): string {
  let bound = 0;
  for (const p of parts) bound += (typeof p === 'string' ? utf8Bound(p) : p.byteLength) + 1;
  const buf = scratch.take(bound);
  let n = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      n += buf.write(p, n, 'utf8');
    } else {
      buf.set(p, n);
      n += p.byteLength;
    }
    buf[n++] = 0;
  }
  return hash('sha256', buf.subarray(0, n), 'hex');
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
 * Hash of the code in some folders of src/ (or dist/, when compiled), read
 * from the files rather than fixed at build time, so a change of the code
 * can never be served from a stale cache. Read once per process: the code
 * that runs is the code loaded when it started.
 */
export function codeKey(dirs: string[]): Promise<string> {
  // The code does not change while the process runs: each key is read once.
  const name = dirs.join(',');
  let key = codeKeys.get(name);
  if (!key) codeKeys.set(name, (key = readCodeKey(dirs)));
  return key;
}

const codeKeys = new Map<string, Promise<string>>();

async function readCodeKey(dirs: string[]): Promise<string> {
  // src/ or dist/: the folder above this one's, or (in dist/bundle/) the one above that.
  let src = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  if (!existsSync(path.join(src, dirs[0]!))) src = path.dirname(src);
  const parts: string[] = [];
  for (const dir of dirs) {
    for (const file of (await readdir(path.join(src, dir))).sort()) {
      parts.push(file, await readFile(path.join(src, dir, file), 'utf8'));
    }
  }
  return sha256(...parts, String(MANIFEST_VERSION));
}

/** Hash of the code that turns bytes into articles. */
export function parserCodeKey(): Promise<string> {
  return codeKey(['parse', 'text']);
}

/** Hash of the code that turns articles into pages and feeds. */
export function rendererCodeKey(): Promise<string> {
  return codeKey(['feed', 'pages', 'publish', 'site', 'templates', 'text']);
}

export interface ParseCache {
  /** Where it lives, for messages. */
  readonly dir: string;
  /**
   * The manifest, or an empty one when missing, unreadable, or made by
   * another parser. With `only`, just the shards that hold those sources'
   * entries are read (the manifest then holds theirs and their neighbours').
   */
  readManifest(parseKey: string, only?: string[]): Promise<Manifest>;
  /** Writes the entries: the shards whose entries changed since read (a shard not read is written only when it has entries). */
  writeManifest(manifest: ManifestContent): Promise<void>;
}

/** Whether the cache folder holds a manifest (a build has parsed there). */
export function hasManifest(cacheDir: string): boolean {
  return existsSync(path.join(cacheDir, 'manifest'));
}

interface Shard {
  version: number;
  parseKey: string;
  sources: Record<string, ManifestSource>;
}

const shardName = (n: number) => `${n.toString(16).padStart(2, '0')}.json`;

/** The cache in a folder. */
export class FolderParseCache implements ParseCache {
  /** The entries of each shard as read or last written (the same objects the manifest handed out). */
  private readonly shardsRead = new Map<number, Record<string, ManifestSource>>();

  constructor(readonly dir: string) {}

  private get shardDir(): string {
    return path.join(this.dir, 'manifest');
  }

  async readManifest(parseKey: string, only?: string[]): Promise<Manifest> {
    const wanted = only ? [...new Set(only.map(shardOf))] : Array.from({ length: SHARDS }, (_, i) => i);
    const sources: Record<string, ManifestSource> = {};
    const writtenAt = new Map<number, number>();
    for (const n of wanted) {
      const file = path.join(this.shardDir, shardName(n));
      let read: Record<string, ManifestSource> = {};
      let mtimeMs = 0;
      try {
        // The time of the very file read (a shard replaced meanwhile has another), then its text in one call.
        const fd = openSync(file, 'r');
        let text: string;
        try {
          mtimeMs = fstatSync(fd).mtimeMs;
          text = readFileSync(fd, 'utf8');
        } finally {
          closeSync(fd);
        }
        const shard = JSON.parse(text) as Shard;
        if (shard.version === MANIFEST_VERSION && shard.parseKey === parseKey && shard.sources !== null && typeof shard.sources === 'object') read = shard.sources;
      } catch {
        // missing or unreadable: no entries
      }
      this.shardsRead.set(n, read);
      writtenAt.set(n, mtimeMs);
      for (const source in read) sources[source] = read[source]!;
    }
    return { version: MANIFEST_VERSION, parseKey, sources, writtenAtOf: (source) => writtenAt.get(shardOf(source)) ?? 0 };
  }

  async writeManifest(manifest: ManifestContent): Promise<void> {
    const shards = new Map<number, Record<string, ManifestSource>>();
    for (const source in manifest.sources) {
      const n = shardOf(source);
      let shard = shards.get(n);
      if (!shard) shards.set(n, (shard = {}));
      shard[source] = manifest.sources[source]!;
    }
    const changed = (n: number): boolean => {
      const now = shards.get(n) ?? {};
      const was = this.shardsRead.get(n);
      if (!was) return shards.has(n);
      // The entries of unchanged sources are the very objects read.
      let count = 0;
      for (const source in now) {
        if (was[source] !== now[source]) return true;
        count++;
      }
      return count !== Object.keys(was).length;
    };
    try {
      mkdirSync(this.shardDir, { recursive: true });
      for (let n = 0; n < SHARDS; n++) {
        if (!changed(n)) continue;
        const sources = shards.get(n) ?? {};
        // In path order: the same entries make the same bytes, whichever build wrote them.
        const sorted: Record<string, ManifestSource> = {};
        for (const source of Object.keys(sources).sort()) sorted[source] = sources[source]!;
        await writeAtomic(path.join(this.shardDir, shardName(n)), JSON.stringify({ version: manifest.version, parseKey: manifest.parseKey, sources: sorted } satisfies Shard));
        this.shardsRead.set(n, sources);
      }
      await rm(path.join(this.dir, 'parsed'), { recursive: true, force: true });
      await rm(path.join(this.dir, 'manifest.json'), { force: true });
    } catch (err) {
      throw outputErrorOf(err, this.shardDir, 'cannot write the parse cache');
    }
  }
}

/** Uses what a cache holds and adds nothing to it: for commands that promise to write nothing (`check`). */
export function lookOnly(cache: ParseCache): ParseCache {
  return {
    dir: cache.dir,
    readManifest: (key, only) => cache.readManifest(key, only),
    writeManifest: async () => undefined,
  };
}
