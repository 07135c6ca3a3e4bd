import type { Command } from 'commander';
import type { Article } from '../../model.ts';
import { type GlobalOptions, type Io, configFor, parseNow } from '../context.ts';
import { formatDiagnostic, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';

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
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const config = await configFor(io, global, [[['paths', 'articles'], opts.articles]]);
      const now = parseNow(opts.now, io).toISOString();
      const [{ readCorpus }, { knownFirstSeen }] = await Promise.all([import('../../source/corpus.ts'), import('../wiring.ts')]);
      // Sources a build has seen keep their first-seen moment, so check dates them as build does.
      const seen = await knownFirstSeen(config, io);
      const corpus = await readCorpus(config.paths.articles, { ...config.parse, timeZone: config.site.timeZone }, (ref) => seen.get(ref.rel) ?? now);
      if (opts.json) {
        io.stdout(JSON.stringify({ articles: corpus.articles.map(articleJson), diagnostics: corpus.diagnostics }, null, 2) + '\n');
      } else {
        for (const d of corpus.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
        io.stdout(
          summaryLine({
            sources: corpus.sources,
            articles: corpus.articles.length,
            rejected: corpus.rejected.length,
            diagnostics: corpus.diagnostics,
          }) + '\n',
        );
      }
      setExit(corpus.rejected.length > 0 ? EXIT.rejected : EXIT.ok);
    });
}
