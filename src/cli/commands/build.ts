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
      io.shortRun?.();
      const settings = await settingsFor(io, cmd, [
        [['paths', 'articles'], opts.articles],
        [['paths', 'out'], opts.out],
      ]);
      const { config } = settings;
      const now = parseNow(opts.now, io);
      const [{ stampInputsFor, threadsAheadFor, loadEngine, withStore, buildSite, patchSite }, stamp] = await Promise.all([
        import('../../app/wiring.ts'),
        import('../../publish/stamp.ts'),
      ]);
      // A first build or a new output folder: the worker threads load their
      // modules while the sources are listed and the store opens (guessed
      // from the top of the articles folder; decided again once listed).
      let ahead = await threadsAheadFor(config);
      const built = (summary: string, files: number, pages: number, parsed: number) =>
        `${summary}\nbuilt ${config.paths.out}/: ${files} file(s) changed, ${pages} page(s) written, ${parsed} source(s) parsed\n`;
      try {
        const reading = stamp.takeReading(stampInputsFor(settings), () => io.clock().getTime());
        const since = stamp.sinceLastBuild(reading);
        // Nothing the last build read has changed, and the output and the store
        // are as it left them: it would write nothing; say what it said.
        if (since?.unchanged) {
          io.stderr(since.outcome.stderr);
          io.stdout(since.outcome.stdout);
          setExit(since.outcome.exit);
          return;
        }
        // Only the text of a few sources changed since: their pages brought up to date in place, when that is all a real build would do.
        const base = since?.base;
        if (since && base && since.changed.length > 0) {
          // The templates are the ones the last build parsed (the stamp says they did not change): each is parsed when used.
          const engine = await loadEngine(config, { checked: true });
          const patched = await withStore(settings, io, (store) =>
            patchSite(config, store, engine, now, { changed: since.changed, lead: base.lead, rejected: base.rejected }, () => stamp.clearStamp(reading.inputs)),
          );
          if (patched !== null) {
            const { outcome } = since;
            io.stderr(outcome.stderr);
            io.stdout(built(base.summary, patched.changedFiles.length, patched.pagesWritten, patched.reparsed));
            await stamp.recordStamp(reading, outcome, base).catch(() => undefined);
            setExit(outcome.exit);
            return;
          }
        }
        stamp.clearStamp(reading.inputs);

        ahead ??= await threadsAheadFor(config, () => reading.listing.refs.length);
        const engine = await loadEngine(config);
        const { corpus, report } = await withStore(settings, io, (store) => buildSite(config, store, engine, now, { listing: reading.listing, ahead }));
        // One write, not one per line: a corpus of 10,000 sources has as many lines.
        const stderr = corpus.diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
        const summary = summaryLine({ sources: corpus.sources, articles: corpus.articles.length, rejected: corpus.rejected.length, diagnostics: corpus.diagnostics });
        const exit = hasErrors(corpus.diagnostics) ? EXIT.rejected : EXIT.ok;
        io.stderr(stderr);
        io.stdout(built(summary, report.changedFiles.length, report.pagesWritten, corpus.reparsed));
        // What the next build says if nothing changes (it writes nothing), and
        // what it needs to bring the site up to date in place. A page that
        // could not be written is tried again by the next build: no stamp then.
        // A stamp that cannot be written only makes the next build real.
        if (report.rejected.length === 0) {
          await stamp.recordStamp(reading, { stdout: built(summary, 0, 0, 0), stderr, exit }, { summary, lead: report.lead, rejected: corpus.rejected }).catch(() => undefined);
        }
        setExit(exit);
      } finally {
        // Threads started ahead that the build did not take (or did not need: nothing changed after all).
        await ahead?.stop();
      }
    });
}
