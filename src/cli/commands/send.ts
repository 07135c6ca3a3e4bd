import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { SendRunResult } from '../../send/run.ts';
import type { WorkerRun } from '../../send/worker.ts';
import { editionStatus } from '../../send/status.ts';
import { formatDiagnostic, itemLine, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';
import { type Io, parseNow, randomFraction, settingsFor } from '../io.ts';

function report(io: Io, result: SendRunResult, setExit: (code: number) => void, schedule: string): void {
  switch (result.kind) {
    case 'nothing-new':
      io.stdout(`nothing new since ${result.since} for ${schedule}; no edition\n`);
      return;
    case 'busy':
      io.stderr(`error: another send of ${schedule} is running (${result.holder}, lease until ${result.expiresAt}); not sending\n`);
      setExit(EXIT.busy);
      return;
    case 'dry-run': {
      const p = result.plan;
      io.stdout(`dry run: nothing is written or sent\n`);
      io.stdout(`edition of ${schedule}: items first seen after ${p.since}, up to ${p.until}\n`);
      io.stdout(`subject: ${result.subject}\n`);
      io.stdout(`items: ${p.itemIds.length} (${result.shown} shown in the email)${p.overCap > 0 ? `; ${p.overCap} more beyond the cap` : ''}\n`);
      const byId = new Map(result.corpus.articles.map((a) => [a.id, a]));
      for (const id of p.itemIds) io.stdout(itemLine(byId.get(id)!));
      io.stdout(`recipients: ${p.recipients}\n`);
      return;
    }
    case 'delivered':
    case 'lease-lost': {
      const { edition, report: r } = result;
      const c = r.counts;
      const pending = c.queued + c.sending;
      if (result.kind === 'delivered' && result.retried) {
        const { requeued, kept } = result.retried;
        io.stdout(
          `retrying ${requeued} failed deliver${requeued === 1 ? 'y' : 'ies'} of ${edition.id}` +
            (kept > 0 ? `; ${kept} stay failed (the address bounced or the subscriber left), with their answers` : '') +
            '\n',
        );
      } else if (result.kind === 'delivered' && result.resumed) io.stdout(`resumed edition ${edition.id}\n`);
      io.stdout(
        `edition ${edition.id}: ${edition.itemCount} item${edition.itemCount === 1 ? '' : 's'}` +
          ` (${edition.shownCount} shown), ${edition.recipientCount} recipient${edition.recipientCount === 1 ? '' : 's'}\n`,
      );
      if (result.kind === 'delivered' && result.webPath) io.stdout(`web edition: ${result.webPath}\n`);
      if (result.kind === 'delivered' && result.overCap) {
        io.stdout(`${result.overCap} older new item(s) beyond the schedule's cap (maxItems) are in no digest; they are in the feeds and on the site\n`);
      }
      const s = editionStatus(c);
      const status = s === 'sent' ? 'sent' : s.toUpperCase();
      io.stdout(
        `${status}: ${c.sent} sent, ${c.failed} failed, ${pending} pending` +
          (c.skipped > 0 ? `, ${c.skipped} skipped (unsubscribed or bounced since the edition was frozen)` : '') +
          (r.bouncedNow > 0 ? `; ${r.bouncedNow} address${r.bouncedNow === 1 ? '' : 'es'} bounced (no further editions)` : '') +
          '\n',
      );
      if (result.kind === 'lease-lost') {
        io.stderr('error: lost the send lease to another process; stopped (run send again to continue)\n');
        setExit(EXIT.busy);
      } else if (r.stopped === 'transport-unavailable') {
        io.stderr(`error: mail: ${r.problem}; nothing more was sent. Run send again to continue.\n`);
        setExit(EXIT.unavailable);
      } else if (r.stopped === 'interrupted') {
        io.stderr('interrupted: run send again to continue the edition\n');
        setExit(EXIT.interrupted);
      } else if (c.failed > 0) {
        io.stderr(`${c.failed} deliver${c.failed === 1 ? 'y' : 'ies'} failed; see \`broadsheet editions ${edition.id}\`, fix, then \`broadsheet send --retry-failed ${edition.id}\`\n`);
        setExit(EXIT.rejected);
      }
    }
  }
}

/** What a worker did: one line per edition it joined, then why it stopped. */
function reportWorker(io: Io, run: WorkerRun, stats: { queries: number; ms: number }, setExit: (code: number) => void): void {
  let sent = 0;
  for (const { edition, report: r } of run.editions) {
    sent += r.sentNow + r.failedNow;
    const c = r.counts;
    io.stdout(
      `edition ${edition.id}: this worker sent ${r.sentNow}, failed ${r.failedNow}; ` +
        `the edition: ${c.sent} sent, ${c.failed} failed, ${c.queued + c.sending} pending (${editionStatus(c)})\n`,
    );
  }
  // What the store cost: the figure that limits how many workers one database carries.
  if (sent > 0) {
    io.stdout(`store: ${stats.queries} queries, ${Math.round(stats.ms)} ms (${(stats.queries / sent).toFixed(2)} queries and ${(stats.ms / sent).toFixed(2)} ms per message)\n`);
  }
  if (run.stopped === 'idle') io.stdout(`no open edition left; worker done (${run.editions.length} edition${run.editions.length === 1 ? '' : 's'} joined)\n`);
  else if (run.stopped === 'transport-unavailable') {
    io.stderr(`error: mail: ${run.problem}; this worker stopped. Start it again to continue.\n`);
    setExit(EXIT.unavailable);
  } else {
    io.stderr('interrupted: the worker stopped; its unsent claims went back to the queue\n');
    setExit(EXIT.interrupted);
  }
}

export function registerSend(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('send')
    .description('freeze the next edition of a schedule and deliver it (resumes an unfinished one first); builds the site first')
    .option('--schedule <id>', 'which schedule (default: daily)')
    .option('--now <iso>', "the edition's moment, for tests and replays (default: now)")
    .option('--dry-run', 'print what would be sent; write and send nothing')
    .option('--retry-failed <edition>', "re-queue an edition's failed deliveries and send them again")
    .option('--worker', 'freeze nothing: join every open edition and share its deliveries with the other workers, until stopped (PostgreSQL: on any machine)')
    .option('--exit-when-idle', 'with --worker: exit once no edition is open')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES)')
    .option('--out <dir>', 'output folder (env BROADSHEET_OUT)')
    .action(async (opts: { schedule?: string; now?: string; dryRun?: boolean; retryFailed?: string; worker?: boolean; exitWhenIdle?: boolean; articles?: string; out?: string }, cmd: Command) => {
      if (opts.worker && (opts.dryRun || opts.retryFailed !== undefined || opts.schedule !== undefined || opts.now !== undefined)) {
        throw new UsageError('--worker: a worker joins whatever editions are open; it takes no --schedule, --now, --dry-run or --retry-failed');
      }
      if (opts.exitWhenIdle && !opts.worker) throw new UsageError('--exit-when-idle: only with --worker');
      const settings = await settingsFor(io, cmd, [
        [['paths', 'articles'], opts.articles],
        [['paths', 'out'], opts.out],
      ]);
      const { config } = settings;
      const [{ scheduleOf }, wiring, { runSend, retryFailed }, { progressSink }, { holderId, holderIsDead }, { interruptSignal, sleep }, { mjmlThread }, { runWorker }] =
        await Promise.all([
          import('../options.ts'),
          import('../../app/wiring.ts'),
          import('../../send/run.ts'),
          import('../progress.ts'),
          import('../../process-identity.ts'),
          import('../interrupt.ts'),
          import('../../mail/mjml-thread.ts'),
          import('../../send/worker.ts'),
        ]);
      const schedule = scheduleOf(config, opts.schedule);
      const now = parseNow(opts.now, io);
      const engine = await wiring.loadEngine(config);
      await wiring.withStore(settings, io, async (store) => {
        const transport = opts.dryRun ? null : await wiring.openTransport(settings, io);
        const secret = await wiring.loadSecretFor(settings, io.stderr);
        const sink = progressSink(io);
        const interrupt = interruptSignal(io, 'finishing the messages in flight');
        // MJML runs in a thread of its own that ends once the edition is rendered: a long
        // delivery does not carry MJML's memory (and the cron's usual run never starts it).
        const mjml = mjmlThread();
        const showBuild = (corpus: import('../../corpus/corpus.ts').Corpus) => {
          for (const d of corpus.diagnostics) if (d.severity !== 'info') io.stderr(formatDiagnostic(d) + '\n');
          io.stderr(`build: ${summaryLine({ sources: corpus.sources, articles: corpus.articles.length, rejected: corpus.rejected.length, diagnostics: corpus.diagnostics })}\n`);
          return corpus;
        };
        try {
          const deps = {
            store,
            holder: holderId(io.random(8)),
            isDead: holderIsDead,
            config,
            engine,
            transport,
            secret,
            clock: io.clock,
            now,
            random: () => io.random(8),
            sleep,
            jitter: () => randomFraction(io),
            signal: interrupt.signal,
            onProgress: sink.update,
            // A real send records and publishes what it reads, so every link in the edition resolves;
            // a dry run only looks.
            corpus: opts.dryRun
              ? async () => showBuild(await wiring.readCorpusFor(config, store, 'look', now))
              : async () => showBuild((await wiring.buildSite(config, store, engine, now)).corpus),
            writePage: wiring.editionPageWriter(config, engine, store),
            // MJML's validator (and MJML itself) loads only when an edition is rendered:
            // the cron's usual run, nothing new, stays fast.
            checkTemplates: () => wiring.checkEmailTemplates(engine, config, mjml.check),
            mjml: mjml.render,
            afterRender: () => mjml.close(),
          };
          if (opts.worker) {
            const run = await runWorker({ ...deps, transport: transport! }, { exitWhenIdle: opts.exitWhenIdle ?? false });
            sink.done();
            reportWorker(io, run, store.stats(), setExit);
            return;
          }
          if (opts.retryFailed !== undefined) {
            const r = await retryFailed(deps, opts.retryFailed);
            if (r.kind === 'unknown-edition') throw new UsageError(`--retry-failed: no edition "${opts.retryFailed}" (see broadsheet editions)`);
            sink.done();
            report(io, r, setExit, schedule);
            return;
          }
          const result = await runSend(deps, { schedule, dryRun: opts.dryRun ?? false });
          sink.done();
          report(io, result, setExit, schedule);
        } finally {
          interrupt.dispose();
          await mjml.close();
          await transport?.close();
        }
      });
    });
}
