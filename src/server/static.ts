// The publish output served from memory: each file is read once per content
// and kept with its strong ETag, its Last-Modified and, when asked for, its
// gzip and brotli forms (compressed once per content, not per request). A
// poll of an unchanged feed is a map lookup and a 304.
//
// Files change under us: the server's own rebuilds say which (invalidate);
// anything else (a `broadsheet send` in another process writing an edition
// page) is noticed by a stat at most once a second per file.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { FEEDS } from '../site/feeds.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export type Encoding = 'br' | 'gzip';

/** What a response of this kind may be: feeds, pages, assets. */
export type FileKind = 'feed' | 'page' | 'asset';

interface TypeInfo {
  type: string;
  kind: FileKind;
  compressible: boolean;
}

const FEED_TYPES = new Map(FEEDS.map((f) => [f.file, `${f.type}; charset=utf-8`]));

/** Media types by extension; anything else in the output folder is not served (e.g. the preview's .eml). */
const TYPES: Record<string, TypeInfo> = {
  '.html': { type: 'text/html; charset=utf-8', kind: 'page', compressible: true },
  '.xml': { type: 'application/xml; charset=utf-8', kind: 'feed', compressible: true },
  '.json': { type: 'application/json; charset=utf-8', kind: 'feed', compressible: true },
  // text/xsl: the type every browser accepts for an <?xml-stylesheet?> target.
  '.xsl': { type: 'text/xsl; charset=utf-8', kind: 'asset', compressible: true },
  '.css': { type: 'text/css; charset=utf-8', kind: 'asset', compressible: true },
  '.txt': { type: 'text/plain; charset=utf-8', kind: 'asset', compressible: true },
  '.svg': { type: 'image/svg+xml', kind: 'asset', compressible: true },
  '.png': { type: 'image/png', kind: 'asset', compressible: false },
  '.jpg': { type: 'image/jpeg', kind: 'asset', compressible: false },
  '.jpeg': { type: 'image/jpeg', kind: 'asset', compressible: false },
  '.gif': { type: 'image/gif', kind: 'asset', compressible: false },
  '.webp': { type: 'image/webp', kind: 'asset', compressible: false },
  '.ico': { type: 'image/x-icon', kind: 'asset', compressible: false },
};

/**
 * How long caches may keep each kind without asking again. Feed readers poll
 * every few minutes anyway and WebSub pushes news; pages stay short so a
 * rebuild shows quickly; assets change only with a deploy.
 */
export const CACHE_CONTROL: Record<FileKind, string> = {
  feed: 'public, max-age=300',
  page: 'public, max-age=60',
  asset: 'public, max-age=86400',
};

/** Below this size compression saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1024;
/** A file is stat-ed again at most this often, for writers outside this process. */
const REVALIDATE_MS = 1000;
/** Bytes of file content kept in memory at most; the oldest entries go first. */
const MAX_CACHED_BYTES = 64 * 1024 * 1024;

export interface CachedFile {
  /** The path relative to the output folder (`articles/x.html`), the cache key. */
  rel: string;
  type: string;
  kind: FileKind;
  body: Buffer;
  /** base64url SHA-256 of the body: the strong ETag's core. */
  hash: string;
  /** Seconds since the epoch (HTTP dates have no finer grain). */
  mtimeSec: number;
  lastModified: string;
  compressible: boolean;
  /** What the file on disk looked like when read: inode, size, mtime. */
  stamp: string;
  checkedAt: number;
  variants: Map<Encoding, Promise<Buffer | null>>;
}

/**
 * Chromium shows application/rss+xml and application/atom+xml as plain
 * text and never applies their stylesheet; a browser opening a feed as a
 * page (Sec-Fetch-Dest: document, which feed readers do not send) gets the
 * same bytes as application/xml, so the XSL turns them into a page.
 */
const XML_FEEDS = new Set(FEEDS.filter((f) => f.format !== 'json').map((f) => f.file));
export const DOCUMENT_XML_TYPE = 'application/xml; charset=utf-8';

export function isBrowsableFeed(file: CachedFile): boolean {
  return XML_FEEDS.has(file.rel);
}

/**
 * The strong ETag of a representation: different bytes or a different type,
 * a different tag (RFC 9110 8.8.3). `-d`: the feed typed for a browser.
 */
export function etagOf(file: CachedFile, encoding: Encoding | null, asDocument = false): string {
  return `"${file.hash}${asDocument ? '-d' : ''}${encoding === null ? '' : encoding === 'br' ? '-br' : '-gz'}"`;
}

/** If-None-Match (weak comparison, any encoding of the same content) or else If-Modified-Since. */
export function isNotModified(file: CachedFile, ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): boolean {
  if (ifNoneMatch !== undefined) {
    for (const raw of ifNoneMatch.split(',')) {
      const tag = raw.trim().replace(/^W\//, '');
      if (tag === '*') return true;
      const opaque = tag.replace(/^"|"$/g, '').replace(/(-d)?(-br|-gz)?$/, '');
      if (opaque === file.hash) return true;
    }
    return false;
  }
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && file.mtimeSec * 1000 <= since;
  }
  return false;
}

function stampOf(s: { ino: number; size: number; mtimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

export interface StaticFiles {
  /** The file at these path segments, or null when there is none to serve. */
  get(segments: string[]): Promise<CachedFile | null>;
  /** The body in an encoding, or null when it is not worth compressing. */
  encoded(file: CachedFile, encoding: Encoding): Promise<Buffer | null>;
  /** Forget these files (relative paths), or every file. */
  invalidate(rels?: string[]): void;
  /** Read and compress these files ahead of the first request (the feeds after a rebuild). */
  warm(rels: string[]): Promise<void>;
}

/**
 * Files under `root`, plus `extra` files served from elsewhere at fixed
 * relative paths (the feed stylesheet from the templates folder).
 */
export function staticFiles(root: string, extra: Record<string, string> = {}, now: () => number = () => performance.now()): StaticFiles {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    realRoot = path.resolve(root);
  }
  const cache = new Map<string, CachedFile>();
  const loading = new Map<string, Promise<CachedFile | null>>();
  let cachedBytes = 0;

  const drop = (rel: string) => {
    const f = cache.get(rel);
    if (f) {
      cache.delete(rel);
      cachedBytes -= f.body.length;
    }
  };

  const keep = (f: CachedFile) => {
    drop(f.rel);
    cache.set(f.rel, f);
    cachedBytes += f.body.length;
    for (const oldest of cache.keys()) {
      if (cachedBytes <= MAX_CACHED_BYTES) break;
      drop(oldest);
    }
  };

  /** Reads a file if it is servable: a regular file, of a served type, inside the root (symlinks resolved). */
  const load = async (rel: string): Promise<CachedFile | null> => {
    const info = TYPES[path.extname(rel).toLowerCase()];
    if (!info) return null;
    const file = extra[rel] ?? path.join(realRoot, rel);
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return null;
    }
    if (!(rel in extra) && !real.startsWith(realRoot + path.sep)) return null;
    const s = await stat(real).catch(() => null);
    if (!s?.isFile()) return null;
    const body = await readFile(real).catch(() => null);
    if (body === null) return null;
    const mtimeSec = Math.floor(s.mtimeMs / 1000);
    const f: CachedFile = {
      rel,
      type: FEED_TYPES.get(rel) ?? info.type,
      kind: FEED_TYPES.has(rel) ? 'feed' : info.kind,
      body,
      hash: createHash('sha256').update(body).digest('base64url').slice(0, 32),
      mtimeSec,
      lastModified: new Date(mtimeSec * 1000).toUTCString(),
      compressible: info.compressible && body.length >= MIN_COMPRESS_BYTES,
      stamp: stampOf(s),
      checkedAt: now(),
      variants: new Map(),
    };
    keep(f);
    return f;
  };

  const loadOnce = (rel: string): Promise<CachedFile | null> => {
    let p = loading.get(rel);
    if (!p) {
      p = load(rel).finally(() => loading.delete(rel));
      loading.set(rel, p);
    }
    return p;
  };

  const relOf = (segments: string[]): string => {
    const parts = segments.length === 0 ? [''] : segments;
    return (parts.at(-1) === '' ? [...parts.slice(0, -1), 'index.html'] : parts).join('/');
  };

  return {
    async get(segments) {
      const rel = relOf(segments);
      const hit = cache.get(rel);
      if (hit) {
        const t = now();
        if (t - hit.checkedAt < REVALIDATE_MS) return hit;
        const s = await stat(extra[rel] ?? path.join(realRoot, rel)).catch(() => null);
        if (s && stampOf(s) === hit.stamp) {
          hit.checkedAt = t;
          return hit;
        }
        drop(rel);
      }
      return loadOnce(rel);
    },
    encoded(file, encoding) {
      if (!file.compressible) return Promise.resolve(null);
      let v = file.variants.get(encoding);
      if (!v) {
        const squeezed =
          encoding === 'br'
            ? brotli(file.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: file.body.length } })
            : gz(file.body, { level: 9 });
        v = squeezed.then((b) => (b.length < file.body.length ? b : null));
        file.variants.set(encoding, v);
      }
      return v;
    },
    invalidate(rels) {
      if (rels === undefined) {
        cache.clear();
        cachedBytes = 0;
      } else {
        for (const rel of rels) drop(rel);
      }
    },
    async warm(rels) {
      for (const rel of rels) {
        const f = await loadOnce(rel);
        if (f) await Promise.all([this.encoded(f, 'br'), this.encoded(f, 'gzip')]);
      }
    },
  };
}
