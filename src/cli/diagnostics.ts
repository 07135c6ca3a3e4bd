// How diagnostics are shown on a terminal.
import type { Diagnostic } from '../model.ts';

/** `articles/000.txt:11: info: joined a paragraph split by the page layout (page-break)` */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.source}:${d.line}: ${d.severity}: ${d.message} (${d.code})`;
}

export function countBySeverity(diagnostics: Diagnostic[]): Record<Diagnostic['severity'], number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return counts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(parts: { sources: number; articles: number; rejected: number; diagnostics: Diagnostic[] }): string {
  const c = countBySeverity(parts.diagnostics);
  return (
    `${plural(parts.sources, 'source')}: ${plural(parts.articles, 'article')}, ${parts.rejected} rejected; ` +
    `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${plural(c.info, 'info')}`
  );
}

/** Some input was rejected: the command exits 1, the rest having been done. */
export function hasErrors(diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** An article in a list of what a command would publish or send: `  - 2026-03-31T00:00:00+08:00 标题 (id)`. */
export function itemLine(a: { id: string; title: string; date: string }): string {
  return `  - ${a.date} ${a.title} (${a.id})\n`;
}
