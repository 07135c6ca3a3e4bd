import type { Command } from 'commander';
import { type GlobalOptions, type Io, configFor, parseNow } from '../context.ts';
import { formatDiagnostic, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';

export function registerBuild(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('build')
    .description('write the RSS, Atom and JSON feeds and the site pages (exit 1 if a source was rejected)')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES; default articles/)')
    .option('--out <dir>', 'output folder (env BROADSHEET_OUT; default public/)')
    .option('--now <iso>', 'the moment of this build: new sources count as first seen then (default: now)')
    .action(async (opts: { articles?: string; out?: string; now?: string }, cmd: Command) => {
      const config = await configFor(io, cmd.optsWithGlobals<GlobalOptions>(), [
        [['paths', 'articles'], opts.articles],
        [['paths', 'out'], opts.out],
      ]);
      const now = parseNow(opts.now, io);
      const [{ build }, { parserCodeKey }, { loadEngine, withStore }] = await Promise.all([
        import('../../build/build.ts'),
        import('../../build/cache.ts'),
        import('../wiring.ts'),
      ]);
      const engine = await loadEngine(config);
      const parserKey = await parserCodeKey();
      const report = await withStore(config, io, (store) => build({ config, store, engine, now, parserKey }));
      for (const d of report.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
      io.stdout(
        summaryLine({ sources: report.sources, articles: report.articles, rejected: report.rejected.length, diagnostics: report.diagnostics }) +
          `\nbuilt ${config.paths.out}/: ${report.changedFiles.length} file(s) changed, ${report.pagesWritten} page(s) written, ${report.reparsed} source(s) parsed\n`,
      );
      setExit(report.diagnostics.some((d) => d.severity === 'error') ? EXIT.rejected : EXIT.ok);
    });
}
