import { type Command, Option } from 'commander';
import type { Config } from '../../config/schema.ts';
import { UsageError } from '../../errors.ts';
import type { SendRunResult } from '../../send/run.ts';
import { editionStatus } from '../../send/status.ts';
import type { Store } from '../../store/store.ts';
import { type GlobalOptions, type Io, configFor, parseNow } from '../context.ts';
import { formatDiagnostic, summaryLine } from '../diagnostics.ts';
import { EXIT } from '../exit.ts';

/** 75: try again later (another run holds the lease). */
const EXIT_BUSY = 75;
/** 130: stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

async function scheduleOf(config: Config, schedule: string | undefined): Promise<string> {
  const { defaultSchedule } = await import('../../subscribers/service.ts');
  const id = schedule ?? defaultSchedule(config);
  if (!(id in config.schedules)) {
    throw new UsageError(`--schedule: unknown schedule "${id}" (known: ${Object.keys(config.schedules).join(', ')})`);
  }
  return id;
}

/** Ctrl-C finishes the messages in flight, records them, and exits; a second Ctrl-C exits at once. */
function interruptSignal(io: Io): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    io.stderr('\ninterrupted: finishing the messages in flight (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

function report(io: Io, result: SendRunResult, setExit: (code: number) => void, schedule: string): void {
  switch (result.kind) {
    case 'nothing-new':
      io.stdout(`nothing new since ${result.since} for ${schedule}; no edition\n`);
      return;
    case 'busy':
      io.stderr(`error: another send of ${schedule} is running (${result.holder}, lease until ${result.expiresAt}); not sending\n`);
      setExit(EXIT_BUSY);
      return;
    case 'dry-run': {
      const p = result.plan;
      io.stdout(`dry run: nothing is written or sent\n`);
      io.stdout(`edition of ${schedule}: items first seen after ${p.since}, up to ${p.until}\n`);
      io.stdout(`subject: ${result.subject}\n`);
      io.stdout(`items: ${p.itemIds.length} (${result.shown} shown in the email)${p.overCap > 0 ? `; ${p.overCap} more beyond the cap` : ''}\n`);
      for (const id of p.itemIds) {
        const a = result.build.published.find((x) => x.id === id)!;
        io.stdout(`  - ${a.title}\n`);
      }
      io.stdout(`recipients: ${p.recipients}\n`);
      return;
    }
    case 'delivered':
    case 'lease-lost': {
      const { edition, report: r } = result;
      const c = r.counts;
      const pending = c.queued + c.sending;
      if (result.kind === 'delivered' && result.resumed) io.stdout(`resumed edition ${edition.id}\n`);
      io.stdout(
        `edition ${edition.id}: ${edition.itemCount} item${edition.itemCount === 1 ? '' : 's'}` +
          ` (${edition.shownCount} shown), ${edition.recipientCount} recipient${edition.recipientCount === 1 ? '' : 's'}\n`,
      );
      if (result.kind === 'delivered' && result.webFile) io.stdout(`web edition: ${result.webFile}\n`);
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
        setExit(EXIT_BUSY);
      } else if (r.stopped === 'transport-unavailable') {
        io.stderr(`error: mail: ${r.problem}; nothing more was sent. Run send again to continue.\n`);
        setExit(EXIT.unavailable);
      } else if (r.stopped === 'interrupted') {
        io.stderr('interrupted: run send again to continue the edition\n');
        setExit(EXIT_INTERRUPTED);
      } else if (c.failed > 0) {
        io.stderr(`${c.failed} deliver${c.failed === 1 ? 'y' : 'ies'} failed; see \`broadsheet editions\`, fix, then \`broadsheet send --retry-failed ${edition.id}\`\n`);
        setExit(EXIT.rejected);
      }
    }
  }
}

export function registerSend(program: Command, io: Io, setExit: (code: number) => void): void {
  const open = async (cmd: Command, overrides: Array<[string[], string | undefined]>) => {
    const config = await configFor(io, cmd.optsWithGlobals<GlobalOptions>(), overrides);
    const wiring = await import('../wiring.ts');
    return { config, wiring };
  };

  program
    .command('send')
    .description('build, freeze the next edition of a schedule, and deliver it (resumes an unfinished one first)')
    .option('--schedule <id>', 'which schedule (default: daily)')
    .option('--now <iso>', "the edition's moment, for tests and replays (default: now)")
    .option('--dry-run', 'print what would be sent; write and send nothing')
    .option('--retry-failed <edition>', "re-queue an edition's failed deliveries and send them again")
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES)')
    .option('--out <dir>', 'output folder (env BROADSHEET_OUT)')
    .action(async (opts: { schedule?: string; now?: string; dryRun?: boolean; retryFailed?: string; articles?: string; out?: string }, cmd: Command) => {
      const { config, wiring } = await open(cmd, [
        [['paths', 'articles'], opts.articles],
        [['paths', 'out'], opts.out],
      ]);
      const schedule = await scheduleOf(config, opts.schedule);
      const now = parseNow(opts.now, io);
      const [{ build }, { parserCodeKey }, { runSend, retryFailed }, { progressSink }, { loadSecret }, { holderId, holderIsDead }] = await Promise.all([
        import('../../build/build.ts'),
        import('../../build/cache.ts'),
        import('../../send/run.ts'),
        import('../progress.ts'),
        import('../../subscribers/secret.ts'),
        import('../../process-identity.ts'),
      ]);
      const engine = await wiring.loadEngine(config);
      await wiring.checkEmailTemplates(engine, config);
      const parserKey = await parserCodeKey();
      await wiring.withStore(config, io, async (store: Store) => {
        const transport = opts.dryRun ? null : await wiring.openTransport(config, io);
        const secret = await loadSecret(io.env, config.paths.data);
        const sink = progressSink(process.stderr);
        const interrupt = interruptSignal(io);
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
            jitter: () => Math.random(),
            signal: interrupt.signal,
            onProgress: sink.update,
            build: async (readOnly: boolean) => {
              const r = await build({ config, store, engine, now, parserKey, readOnly });
              for (const d of r.diagnostics) if (d.severity !== 'info') io.stderr(formatDiagnostic(d) + '\n');
              io.stderr(`build: ${summaryLine({ sources: r.sources, articles: r.articles, rejected: r.rejected.length, diagnostics: r.diagnostics })}\n`);
              return r;
            },
          };
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
          await transport?.close();
        }
      });
    });

  program
    .command('editions')
    .description('list past editions with their sent, failed and pending counts')
    .option('--schedule <id>', 'only this schedule')
    .option('--json', 'print JSON')
    .action(async (opts: { schedule?: string; json?: boolean }, cmd: Command) => {
      const { config, wiring } = await open(cmd, []);
      if (opts.schedule) await scheduleOf(config, opts.schedule);
      await wiring.withStore(config, io, async (store: Store) => {
        const editions = await store.listEditions(opts.schedule);
        if (opts.json) {
          io.stdout(JSON.stringify(editions.map((e) => ({ ...e, status: editionStatus(e.counts) })), null, 2) + '\n');
          return;
        }
        for (const e of editions) {
          const c = e.counts;
          io.stdout(
            `${e.id}\t${e.createdAt}\t${e.itemCount} items\t${e.recipientCount} recipients\t` +
              `sent ${c.sent}, failed ${c.failed}, pending ${c.queued + c.sending}, skipped ${c.skipped}\t${editionStatus(c)}\n`,
          );
        }
        io.stderr(`${editions.length} edition${editions.length === 1 ? '' : 's'}\n`);
      });
    });

  program
    .command('digest')
    .description('preview the digest that would go out now: writes digest.html, digest.txt and digest.eml')
    .addOption(new Option('--schedule <id>', 'which schedule (default: daily)'))
    .option('--now <iso>', 'the moment to preview (default: now)')
    .option('--articles <dir>', 'articles folder (env BROADSHEET_ARTICLES)')
    .option('--out <dir>', 'where to write the preview (default: <output folder>/preview)')
    .action(async (opts: { schedule?: string; now?: string; articles?: string; out?: string }, cmd: Command) => {
      const { config, wiring } = await open(cmd, [[['paths', 'articles'], opts.articles]]);
      const schedule = await scheduleOf(config, opts.schedule);
      const now = parseNow(opts.now, io);
      const { previewDigest } = await import('../../send/preview.ts');
      const { build } = await import('../../build/build.ts');
      const { parserCodeKey } = await import('../../build/cache.ts');
      const engine = await wiring.loadEngine(config);
      await wiring.checkEmailTemplates(engine, config);
      const parserKey = await parserCodeKey();
      await wiring.withStore(config, io, async (store: Store) => {
        const report = await build({ config, store, engine, now, parserKey, readOnly: true });
        const out = opts.out ?? `${config.paths.out}/preview`;
        const r = await previewDigest({ store, config, engine, build: report, random: () => io.random(8) }, schedule, now, out);
        if (r.fallback) io.stderr(`nothing new since ${r.since} for ${schedule}; previewing the newest ${r.total} item(s) instead\n`);
        io.stdout(`subject: ${r.subject}\nitems: ${r.total} (${r.shown} shown)\nHTML: ${(r.htmlBytes / 1024).toFixed(1)} KB (budget ${config.mail.sizeBudgetKb} KB)\nwrote ${r.files.join(', ')}\n`);
      });
    });
}
