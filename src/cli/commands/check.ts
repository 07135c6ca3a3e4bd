import type { Command } from 'commander';
import type { Article } from '../../model.ts';
import { formatDiagnostic, hasErrors, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';
import { type Io, parseNow, settingsFor } from '../io.ts';

/** The `check --json` shape; later tooling depends on it, so it is spelled out field by field. */
export function articleJson(a: Article) {
  return {
    id: a.id,
    source: a.source,
    line: a.line,
    kicker: a.kicker,
    title: a.title,
    titleDerived: a.titleDerived,
    subtitle: a.subtitle,
    byline: a.byline ? { outlet: a.byline.outlet, reporters: a.byline.reporters, contributors: a.byline.contributors } : null,
    dateline: a.dateline,
    date: a.date,
    editor: a.editor,
    author: a.author,
    tags: a.tags,
    summary: a.summary,
    paragraphs: a.paragraphs,
    sections: a.sections.map((s) => ({ heading: s.heading, paragraphs: s.paragraphs })),
  };
}

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('parse every article source and report problems (exit 1 if a source was rejected)')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES; default articles/)')
    .option('--json', 'print articles and diagnostics as JSON')
    .option('--now <iso>', 'the moment sources no build has seen count as first seen (default: now)')
    .action(async (opts: { articles?: string; json?: boolean; now?: string }, cmd: Command) => {
      io.shortRun?.();
      const settings = await settingsFor(io, cmd, [[['paths', 'articles'], opts.articles]]);
      const now = parseNow(opts.now, io);
      const { withExistingStore, readCorpusFor } = await import('../../app/wiring.ts');
      // Sources and items a build has seen keep their first-seen moments, so check dates them as build does.
      const corpus = await withExistingStore(settings, io, (store) => readCorpusFor(settings.config, store, 'look', now));
      if (opts.json) {
        // In source order, as the files are listed: the order a person reads them in.
        const bySource = [...corpus.articles].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.line - b.line));
        const articles = await Promise.all(bySource.map(async (a) => articleJson(await corpus.loadArticle(a.id))));
        io.stdout(JSON.stringify({ articles, diagnostics: corpus.diagnostics }, null, 2) + '\n');
      } else {
        for (const d of corpus.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
        io.stdout(summaryLine({ sources: corpus.sources, articles: corpus.articles.length, rejected: corpus.rejected.length, diagnostics: corpus.diagnostics }) + '\n');
      }
      setExit(hasErrors(corpus.diagnostics) ? EXIT.rejected : EXIT.ok);
    });
}
