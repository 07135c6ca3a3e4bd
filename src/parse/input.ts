// One source file's bytes → its articles and diagnostics: decode, then parse.
// Pure. The checks that span files live in corpus/checks.ts.
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

export interface ParseSettings {
  timeZone: string;
  punctuation: boolean;
  maxSourceBytes: number;
}

export interface ParsedSource {
  source: string;
  stem: string;
  articles: Article[];
  diagnostics: Diagnostic[];
  /** True when the source was skipped because of an error. */
  rejected: boolean;
}

/** Decodes and parses one source. Pure. */
export function parseInput(input: SourceInput, options: ParseSettings): ParsedSource {
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
    clean: decoded.clean,
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
