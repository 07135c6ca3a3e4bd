// Many sources at once: decode, parse, and the checks that span files.
import type { Article, Diagnostic } from '../model.ts';
import { decodeSource } from './decode.ts';
import { parseSource } from './parse.ts';

export interface SourceInput {
  /** The path as the user sees it, e.g. `articles/000.txt`. */
  source: string;
  /** Path relative to the articles folder, without extension (`000`, `2026/03/a`). */
  stem: string;
  /** The file's bytes (at most maxBytes + 1 of them). */
  bytes: Uint8Array;
  /** The file's size on disk. */
  size: number;
  /** RFC 3339: when the source was first seen. */
  firstSeen: string;
  /** Set when the file could not be read (permissions, vanished). */
  readError?: string;
}

export interface CorpusOptions {
  timeZone: string;
  punctuation: boolean;
  maxSourceBytes: number;
}

export interface ParsedSource<A extends ArticleRef = Article> {
  source: string;
  stem: string;
  articles: A[];
  diagnostics: Diagnostic[];
  /** True when the source was skipped because of an error. */
  rejected: boolean;
}

/** Decodes and parses one source. Pure. */
export function parseInput(input: SourceInput, options: CorpusOptions): ParsedSource {
  if (input.readError !== undefined) {
    const diagnostics: Diagnostic[] = [
      { source: input.source, line: 1, severity: 'error', code: 'read', message: `cannot read the file (${input.readError}); skipped` },
    ];
    return { source: input.source, stem: input.stem, articles: [], diagnostics, rejected: true };
  }
  const decoded = decodeSource(input.bytes, input.source, { maxBytes: options.maxSourceBytes, size: input.size });
  if (!decoded.ok) {
    return { source: input.source, stem: input.stem, articles: [], diagnostics: decoded.diagnostics, rejected: true };
  }
  const parsed = parseSource(decoded.text, {
    source: input.source,
    stem: input.stem,
    firstSeen: input.firstSeen,
    timeZone: options.timeZone,
    punctuation: options.punctuation,
  });
  const diagnostics = [...decoded.diagnostics, ...parsed.diagnostics];
  return {
    source: input.source,
    stem: input.stem,
    articles: parsed.articles,
    diagnostics,
    rejected: diagnostics.some((d) => d.severity === 'error'),
  };
}

/** What the corpus checks need of an article. */
export interface ArticleRef {
  id: string;
  source: string;
  line: number;
}

export interface Corpus<A extends ArticleRef = Article> {
  articles: A[];
  diagnostics: Diagnostic[];
  /** Sources skipped because of an error. */
  rejected: string[];
  sources: number;
}

/**
 * Joins parsed sources (in source order) into one corpus. A source whose
 * article id is already taken by an earlier source is rejected with an
 * error naming both files; the earlier one keeps the id.
 */
export function assembleCorpus<A extends ArticleRef>(parsed: ParsedSource<A>[]): Corpus<A> {
  const owner = new Map<string, { source: string; line: number }>();
  const articles: A[] = [];
  const diagnostics: Diagnostic[] = [];
  const rejected: string[] = [];
  for (const p of parsed) {
    diagnostics.push(...p.diagnostics);
    if (p.rejected) {
      rejected.push(p.source);
      continue;
    }
    const clash = p.articles.find((a) => owner.has(a.id));
    if (clash) {
      const first = owner.get(clash.id)!;
      diagnostics.push({
        source: p.source,
        line: clash.line,
        severity: 'error',
        code: 'duplicate-id',
        message: `article id "${clash.id}" is already used by ${first.source}:${first.line}; file skipped`,
      });
      rejected.push(p.source);
      continue;
    }
    for (const a of p.articles) owner.set(a.id, { source: a.source, line: a.line });
    articles.push(...p.articles);
  }
  return { articles, diagnostics, rejected, sources: parsed.length };
}
