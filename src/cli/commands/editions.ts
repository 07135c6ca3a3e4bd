import type { Command } from 'commander';
import { editionStatus } from '../../send/status.ts';
import { type Io, settingsFor } from '../io.ts';

export function registerEditions(program: Command, io: Io): void {
  program
    .command('editions')
    .description('list past editions with their sent, failed and pending counts')
    .option('--schedule <id>', 'only this schedule')
    .option('--json', 'print JSON')
    .action(async (opts: { schedule?: string; json?: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ scheduleOf }, { withStore }] = await Promise.all([import('../options.ts'), import('../../app/wiring.ts')]);
      if (opts.schedule) scheduleOf(settings.config, opts.schedule);
      await withStore(settings, io, async (store) => {
        const editions = await store.editions.list(opts.schedule);
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
}
