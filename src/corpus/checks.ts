// The checks that span files: an article id belongs to one source, and a
// page name (compared without case, for case-insensitive file systems) to
// one article. Pure. Every command reads the articles through the corpus
// stage, so `check` and `build` always agree.
import type { Diagnostic } from '../model.ts';
import { slugOf } from '../site/ids.ts';

/** What the checks need of an article. */
export interface ArticleRef {
  id: string;
  source: string;
  line: number;
}

export interface SourceArticles<A extends ArticleRef> {
  source: string;
  articles: A[];
  diagnostics: Diagnostic[];
  /** Skipped because of an error of its own. */
  rejected: boolean;
}

export interface Checked<A extends ArticleRef> {
  /** Every article that passed, in source order, with its page name. */
  articles: Array<{ article: A; slug: string }>;
  diagnostics: Diagnostic[];
  /** Sources skipped as a whole. */
  rejected: string[];
}

/**
 * Joins sources (in source order). A source whose article id an earlier
 * source already uses is rejected with an error naming both files; an
 * article whose page name another article already took is left out, with
 * an error naming both.
 */
export function checkAcrossFiles<A extends ArticleRef>(sources: SourceArticles<A>[]): Checked<A> {
  const idOwner = new Map<string, { source: string; line: number }>();
  const pageOwner = new Map<string, A>();
  const articles: Array<{ article: A; slug: string }> = [];
  const diagnostics: Diagnostic[] = [];
  const rejected: string[] = [];
  for (const s of sources) {
    diagnostics.push(...s.diagnostics);
    if (s.rejected) {
      rejected.push(s.source);
      continue;
    }
    const clash = s.articles.find((a) => idOwner.has(a.id));
    if (clash) {
      const first = idOwner.get(clash.id)!;
      diagnostics.push({
        source: s.source,
        line: clash.line,
        severity: 'error',
        code: 'duplicate-id',
        message: `article id "${clash.id}" is already used by ${first.source}:${first.line}; file skipped`,
      });
      rejected.push(s.source);
      continue;
    }
    for (const a of s.articles) {
      idOwner.set(a.id, { source: a.source, line: a.line });
      const slug = slugOf(a.id);
      const taken = pageOwner.get(slug.toLowerCase());
      if (taken) {
        diagnostics.push({
          source: a.source,
          line: a.line,
          severity: 'error',
          code: 'duplicate-page',
          message: `article "${a.id}" would have the same page (articles/${slug}.html) as "${taken.id}" (${taken.source}:${taken.line}); left out`,
        });
        continue;
      }
      pageOwner.set(slug.toLowerCase(), a);
      articles.push({ article: a, slug });
    }
  }
  return { articles, diagnostics, rejected };
}
