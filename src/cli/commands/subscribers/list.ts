import { type Command, Option } from 'commander';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../../model.ts';
import { type Io, settingsFor } from '../../io.ts';
import { recordOf } from './fields.ts';

export function registerList(group: Command, io: Io): void {
  group
    .command('list')
    .description('list subscribers')
    .addOption(new Option('--status <status>', 'only this status').choices(SUBSCRIBER_STATUSES))
    .option('--schedule <id>', 'only this schedule')
    .option('--json', 'print a JSON array of objects with every field')
    .action(async (opts: { status?: SubscriberStatus; schedule?: string; json?: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ withStore }, { scheduleOf }] = await Promise.all([import('../../../app/wiring.ts'), import('../../options.ts')]);
      if (opts.schedule) scheduleOf(settings.config, opts.schedule);
      await withStore(settings, io, async (store) => {
        let n = 0;
        if (opts.json) io.stdout('[');
        for await (const batch of store.subscribers.batches(opts)) {
          for (const s of batch) {
            if (opts.json) io.stdout(`${n > 0 ? ',' : ''}\n  ${JSON.stringify(recordOf(s))}`);
            else io.stdout(`${s.email}\t${s.name ?? ''}\t${s.schedule}\t${s.status}\t${s.createdAt}\t${s.confirmedAt ?? ''}\n`);
            n++;
          }
        }
        if (opts.json) io.stdout(n > 0 ? '\n]\n' : ']\n');
        else io.stderr(`${n} subscriber${n === 1 ? '' : 's'}\n`);
      });
    });
}
