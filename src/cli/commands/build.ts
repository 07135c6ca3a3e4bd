import type { Command } from 'commander';
import { formatDiagnostic, hasErrors, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';
import { type Io, parseNow, settingsFor } from '../io.ts';

export function registerBuild(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('build')
    .description('write the RSS, Atom and JSON feeds and the site pages (exit 1 if a source was rejected)')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES; default articles/)')
    .option('--out <dir>', 'output folder (env BROADSHEET_OUT; default public/)')
    .option('--now <iso>', 'the moment of this build: new sources count as first seen then (default: now)')
    .action(async (opts: { articles?: string; out?: string; now?: string }, cmd: Command) => {
      const settings = await settingsFor(io, cmd, [
        [['paths', 'articles'], opts.articles],
        [['paths', 'out'], opts.out],
      ]);
      const { config } = settings;
      const now = parseNow(opts.now, io);
      const { loadEngine, withStore, buildSite } = await import('../../app/wiring.ts');
      const engine = await loadEngine(config);
      const { corpus, report } = await withStore(settings, io, (store) => buildSite(config, store, engine, now));
      // One write, not one per line: a corpus of 10,000 sources has as many lines.
      io.stderr(corpus.diagnostics.map((d) => formatDiagnostic(d) + '\n').join(''));
      io.stdout(
        summaryLine({ sources: corpus.sources, articles: corpus.articles.length, rejected: corpus.rejected.length, diagnostics: corpus.diagnostics }) +
          `\nbuilt ${config.paths.out}/: ${report.changedFiles.length} file(s) changed, ${report.pagesWritten} page(s) written, ${corpus.reparsed} source(s) parsed\n`,
      );
      setExit(hasErrors(corpus.diagnostics) ? EXIT.rejected : EXIT.ok);
    });
}
