import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { Config } from '../../config/schema.ts';
import type { SubscriberStatus } from '../../store/schema.ts';
import type { Store } from '../../store/store.ts';
import type { SubscribeOutcome, Subscriber } from '../../subscribers/lifecycle.ts';
import { UsageError } from '../../errors.ts';
import { type GlobalOptions, type Io, configFor } from '../context.ts';
import { EXIT } from '../exit.ts';

const STATUSES: SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced'];

/** Every field, in this order, in `export` and `list --json`. */
const FIELDS = [
  'email',
  'name',
  'schedule',
  'status',
  'origin',
  'created_at',
  'confirmed_at',
  'unsubscribed_at',
  'bounced_at',
  'bounce_reason',
  'updated_at',
] as const;

/**
 * Free text a spreadsheet could run as a formula (=, +, -, @ first) gets a
 * leading apostrophe in exports. Addresses are checked on the way in and
 * never start that way except with -/+, which must stay importable.
 */
function spreadsheetSafe(text: string | null): string | null {
  return text !== null && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function record(s: Subscriber): Record<(typeof FIELDS)[number], string | null> {
  return {
    email: s.email,
    name: s.name,
    schedule: s.schedule,
    status: s.status,
    origin: s.origin,
    created_at: s.createdAt,
    confirmed_at: s.confirmedAt,
    unsubscribed_at: s.unsubscribedAt,
    bounced_at: s.bouncedAt,
    bounce_reason: s.bounceReason,
    updated_at: s.updatedAt,
  };
}

const ADD_MESSAGES: Record<SubscribeOutcome, (s: Subscriber, via: string) => string> = {
  created: (s, via) => `added ${s.email} (${s.schedule}), pending: confirmation sent to the ${via}`,
  'pending-again': (s, via) => `${s.email} was already pending (${s.schedule}): confirmation sent again to the ${via}`,
  resubscribed: (s, via) => `${s.email} had unsubscribed; pending again (${s.schedule}): confirmation sent to the ${via}`,
  activated: (s) => `added ${s.email} (${s.schedule}), active`,
  'already-active': (s) => `${s.email} is already active (${s.schedule}); nothing changed`,
  refused: (s) =>
    `${s.email} is ${s.status}${s.unsubscribedAt ? ` since ${s.unsubscribedAt}` : ''}; not re-added with --confirmed: they must subscribe again themselves`,
};

export function registerSubscribers(program: Command, io: Io, setExit: (code: number) => void): void {
  const group = program.command('subscribers').description('manage digest subscribers');
  const run = async <T>(cmd: Command, fn: (config: Config, store: Store) => Promise<T>): Promise<T> => {
    const config = await configFor(io, cmd.optsWithGlobals<GlobalOptions>());
    const { withStore } = await import('../wiring.ts');
    return withStore(config, io, (store) => fn(config, store));
  };
  // Loaded when a command runs, so `--help` stays quick.
  const lib = async () => {
    const [service, wiring, imports, csv] = await Promise.all([
      import('../../subscribers/service.ts'),
      import('../wiring.ts'),
      import('../../subscribers/import.ts'),
      import('csv-stringify'),
    ]);
    return { ...service, ...wiring, ...imports, stringify: csv.stringify };
  };

  group
    .command('add')
    .description('add a subscriber; without --confirmed they get a confirmation email (double opt-in)')
    .argument('<email>', 'the address')
    .option('--name <name>', 'display name')
    .option('--schedule <id>', 'which digest they receive (default: daily)')
    .option('--confirmed', 'they opted in elsewhere: active now, no confirmation email')
    .action(async (email: string, opts: { name?: string; schedule?: string; confirmed?: boolean }, cmd: Command) => {
      await run(cmd, async (config, store) => {
        const { subscriptionDeps, subscribe } = await lib();
        const deps = await subscriptionDeps(config, io, store, io.clock);
        try {
          const r = await subscribe(deps, { email, name: opts.name, schedule: opts.schedule, origin: 'cli', confirmed: opts.confirmed });
          io.stdout(ADD_MESSAGES[r.outcome](r.subscriber!, deps.transport.description) + '\n');
          const added = r.outcome === 'created' || r.outcome === 'activated' ? 1 : 0;
          io.stdout(`added ${added}, unchanged ${r.outcome === 'already-active' || r.outcome === 'pending-again' ? 1 : 0}, refused ${r.outcome === 'refused' ? 1 : 0}\n`);
          if (r.outcome === 'refused') setExit(EXIT.rejected);
        } finally {
          await deps.transport.close();
        }
      });
    });

  group
    .command('remove')
    .description('unsubscribe an address (immediate, idempotent)')
    .argument('<email>', 'the address')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      await run(cmd, async (_config, store) => {
        const { unsubscribeByEmail } = await lib();
        const r = await unsubscribeByEmail({ store, clock: io.clock }, email);
        if (r.outcome === 'unknown') {
          io.stderr(`error: no subscriber ${email.trim()}\n`);
          setExit(EXIT.rejected);
          return;
        }
        io.stdout(
          r.outcome === 'unsubscribed'
            ? `unsubscribed ${r.subscriber!.email}\nunsubscribed 1\n`
            : `${r.subscriber!.email} was already unsubscribed (since ${r.subscriber!.unsubscribedAt}); nothing changed\nunsubscribed 0\n`,
        );
      });
    });

  group
    .command('list')
    .description('list subscribers')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--schedule <id>', 'only this schedule')
    .option('--json', 'print a JSON array of objects with every field')
    .action(async (opts: { status?: SubscriberStatus; schedule?: string; json?: boolean }, cmd: Command) => {
      await run(cmd, async (config, store) => {
        if (opts.schedule && !(opts.schedule in config.schedules)) {
          throw new UsageError(`--schedule: unknown schedule "${opts.schedule}" (known: ${Object.keys(config.schedules).join(', ')})`);
        }
        let n = 0;
        if (opts.json) io.stdout('[');
        for await (const batch of store.subscriberBatches(opts)) {
          for (const s of batch) {
            if (opts.json) io.stdout(`${n > 0 ? ',' : ''}\n  ${JSON.stringify(record(s))}`);
            else io.stdout(`${s.email}\t${s.name ?? ''}\t${s.schedule}\t${s.status}\t${s.createdAt}\t${s.confirmedAt ?? ''}\n`);
            n++;
          }
        }
        if (opts.json) io.stdout(n > 0 ? '\n]\n' : ']\n');
        else io.stderr(`${n} subscriber${n === 1 ? '' : 's'}\n`);
      });
    });

  group
    .command('import')
    .description('import subscribers from a CSV file with the header email,name,schedule ("-" reads standard input)')
    .argument('<file>', 'the CSV file')
    .option('--confirmed', 'the list opted in elsewhere: new subscribers are active, no confirmation emails')
    .action(async (file: string, opts: { confirmed?: boolean }, cmd: Command) => {
      await run(cmd, async (config, store) => {
        const input: Readable = file === '-' ? (io.stdin as Readable) : createReadStream(file);
        const opened = new Promise<void>((resolve, reject) => {
          if (file === '-') return resolve();
          input.once('open', () => resolve()).once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`${file}: cannot read (${err.code})`)));
        });
        await opened;
        const { subscriptionDeps, importCsv } = await lib();
        const deps = await subscriptionDeps(config, io, store, io.clock);
        try {
          const report = await importCsv(deps, input, { confirmed: opts.confirmed ?? false, file });
          const name = file === '-' ? '<stdin>' : file;
          for (const p of report.problems) io.stderr(`${name}:${p.line}: error: ${p.message}; row skipped\n`);
          for (const p of report.notReadded) io.stderr(`${name}:${p.line}: warning: ${p.message}\n`);
          for (const p of report.confirmationFailures) io.stderr(`${name}:${p.line}: warning: ${p.message}\n`);
          const c = report.counts;
          const skipped = report.problems.length + c['skipped-unsubscribed'];
          const details = [...report.problems, ...report.notReadded]
            .sort((a, b) => a.line - b.line)
            .slice(0, 5)
            .map((p) => `line ${p.line}`)
            .join(', ');
          io.stdout(
            `read ${report.rows} row${report.rows === 1 ? '' : 's'}: added ${c.created}, activated ${c.activated}, unchanged ${c.unchanged}, skipped ${skipped}` +
              (skipped > 0 ? ` (${details}${skipped > 5 ? ', …' : ''})` : '') +
              (opts.confirmed ? '' : `; ${report.confirmationsSent} confirmation email${report.confirmationsSent === 1 ? '' : 's'} sent`) +
              '\n',
          );
          if (report.problems.length > 0) setExit(EXIT.rejected);
        } finally {
          await deps.transport.close();
        }
      });
    });

  group
    .command('export')
    .description('write every subscriber, every field, as CSV to standard output')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .action(async (opts: { status?: SubscriberStatus }, cmd: Command) => {
      await run(cmd, async (_config, store) => {
        const { stringify } = await lib();
        const csv = stringify({ header: true, columns: [...FIELDS] });
        const done = new Promise<void>((resolve, reject) => {
          csv.on('data', (chunk: Buffer) => io.stdout(chunk.toString('utf8')));
          csv.on('end', resolve);
          csv.on('error', reject);
        });
        let n = 0;
        for await (const batch of store.subscriberBatches(opts)) {
          for (const s of batch) {
            const r = record(s);
            csv.write({ ...r, name: spreadsheetSafe(r.name), bounce_reason: spreadsheetSafe(r.bounce_reason) });
            n++;
          }
        }
        csv.end();
        await done;
        io.stderr(`exported ${n} subscriber${n === 1 ? '' : 's'}\n`);
      });
    });
}
