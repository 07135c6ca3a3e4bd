import type { Command } from 'commander';
import { NotFoundError } from '../../errors.ts';
import type { DeliveryFailure, EditionStore, EditionSummary } from '../../send/store.ts';
import { type DeliveryActivity, deliveryActivity, editionStatus, workerStaleMs } from '../../send/status.ts';
import { type Io, settingsFor } from '../io.ts';

/** One tab-separated line per edition, for people and for cut/awk. */
function editionLine(e: EditionSummary): string {
  const c = e.counts;
  return (
    `${e.id}\t${e.createdAt}\t${e.itemCount} items\t${e.recipientCount} recipients\t` +
    `sent ${c.sent}, failed ${c.failed}, pending ${c.queued + c.sending}, skipped ${c.skipped}\t${editionStatus(c)}\n`
  );
}

/** `  address  bounced|failed  N attempts  the server's answer` */
function failureLine(f: DeliveryFailure): string {
  const what = f.subscriberStatus === 'bounced' ? 'bounced' : 'failed';
  const answer = (f.lastResponse ?? 'no answer recorded').replace(/[\r\n\t]+/g, ' ');
  return `  ${f.email}\t${what}\t${f.attempts} attempt${f.attempts === 1 ? '' : 's'}\t${answer}\n`;
}

/** `  delivering: 3,120 of 5,000 done (62%); workers: host-a:4411 (1,040 sent), …` under an open edition. */
function progressLine(e: EditionSummary, activity: DeliveryActivity): string {
  const c = e.counts;
  const total = c.queued + c.sending + c.sent + c.failed + c.skipped;
  const done = total - c.queued - c.sending;
  const on = activity.workers.filter((w) => w.editionId === e.id);
  const who = on.length === 0 ? 'no worker active' : `workers: ${on.map((w) => `${w.host}:${w.pid} (${w.sent} sent)`).join(', ')}`;
  return `  delivering: ${done} of ${total} done (${total === 0 ? 100 : Math.floor((done / total) * 100)}%), ${c.sending} in flight; ${who}\n`;
}

async function allFailures(editions: EditionStore, id: string): Promise<DeliveryFailure[]> {
  const out: DeliveryFailure[] = [];
  for await (const batch of editions.failures(id)) out.push(...batch);
  return out;
}

export function registerEditions(program: Command, io: Io): void {
  program
    .command('editions')
    .argument('[edition]', 'one edition: its counts and every failed or bounced address with the server\'s answer')
    .description('list past editions with their sent, failed and pending counts')
    .option('--schedule <id>', 'only this schedule')
    .option('--failed', 'under each edition, every failed or bounced address with the server\'s answer')
    .option('--json', 'print JSON')
    .action(async (editionId: string | undefined, opts: { schedule?: string; failed?: boolean; json?: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ scheduleOf }, { withStore }] = await Promise.all([import('../options.ts'), import('../../app/wiring.ts')]);
      if (opts.schedule) scheduleOf(settings.config, opts.schedule);
      await withStore(settings, io, async (store) => {
        let editions: EditionSummary[];
        if (editionId !== undefined) {
          const one = await store.editions.summary(editionId);
          if (!one) throw new NotFoundError(`edition: no edition "${editionId}" (broadsheet editions lists them)`);
          editions = [one];
        } else {
          editions = await store.editions.list(opts.schedule);
        }
        // One edition asked for by name always shows its failures.
        const withFailures = opts.failed === true || editionId !== undefined;
        // Deliveries under way, across every worker on every machine.
        const activity = await deliveryActivity(store, io.clock(), workerStaleMs(settings.config.send.claimSeconds));
        const open = new Set(activity.editions.map((e) => e.id));
        if (opts.json) {
          const out = [];
          for (const e of editions) {
            out.push({
              ...e,
              status: editionStatus(e.counts),
              ...(open.has(e.id) ? { workers: activity.workers.filter((w) => w.editionId === e.id) } : {}),
              ...(withFailures ? { failures: await allFailures(store.editions, e.id) } : {}),
            });
          }
          io.stdout(JSON.stringify(editionId !== undefined ? out[0] : out, null, 2) + '\n');
          return;
        }
        for (const e of editions) {
          io.stdout(editionLine(e));
          if (open.has(e.id)) io.stdout(progressLine(e, activity));
          if (!withFailures || e.counts.failed === 0) continue;
          for await (const batch of store.editions.failures(e.id)) for (const f of batch) io.stdout(failureLine(f));
        }
        if (editionId === undefined) {
          const idle = activity.workers.filter((w) => w.editionId === null).length;
          io.stderr(
            `${editions.length} edition${editions.length === 1 ? '' : 's'}` +
              (activity.workers.length > 0 ? `; ${activity.workers.length} worker${activity.workers.length === 1 ? '' : 's'} active (${idle} waiting for work)` : '') +
              '\n',
          );
        }
      });
    });
}
