import { type Command, Option } from 'commander';
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from '../../../model.ts';
import { type Io, settingsFor } from '../../io.ts';
import { COLUMNS, recordOf } from './fields.ts';

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab or CR first)
 * gets a leading apostrophe (OWASP's rule for CSV injection), in every
 * column; `import` takes the apostrophe off again.
 */
function spreadsheetSafe(text: string | null): string | null {
  return text !== null && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function registerExport(group: Command, io: Io): void {
  group
    .command('export')
    .description('write every subscriber, every field, as CSV to standard output')
    .addOption(new Option('--status <status>', 'only this status').choices(SUBSCRIBER_STATUSES))
    .option('--no-bom', 'leave out the UTF-8 byte order mark (Excel needs it to read Chinese correctly)')
    .action(async (opts: { status?: SubscriberStatus; bom: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ withStore }, { stringify }] = await Promise.all([import('../../../app/wiring.ts'), import('csv-stringify')]);
      await withStore(settings, io, async (store) => {
        const csv = stringify({ header: true, columns: COLUMNS, bom: opts.bom });
        const done = new Promise<void>((resolve, reject) => {
          csv.on('data', (chunk: Buffer) => io.stdout(chunk.toString('utf8')));
          csv.on('end', resolve);
          csv.on('error', reject);
        });
        let n = 0;
        for await (const batch of store.subscribers.batches({ status: opts.status })) {
          for (const s of batch) {
            csv.write(Object.fromEntries(Object.entries(recordOf(s)).map(([k, v]) => [k, spreadsheetSafe(v)])));
            n++;
          }
        }
        csv.end();
        await done;
        io.stderr(`exported ${n} subscriber${n === 1 ? '' : 's'}\n`);
      });
    });
}
