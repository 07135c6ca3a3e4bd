import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../../../errors.ts';
import { EXIT } from '../../exit.ts';
import { type Io, settingsFor } from '../../io.ts';

export function registerImport(group: Command, io: Io, setExit: (code: number) => void): void {
  group
    .command('import')
    .description('import subscribers from a CSV file with the header email,name,schedule ("-" reads standard input); UTF-8, UTF-16 or GBK; the output of export imports again')
    .argument('<file>', 'the CSV file')
    .option('--confirmed', 'the list opted in elsewhere: new subscribers are active, no confirmation emails')
    .action(async (file: string, opts: { confirmed?: boolean }, cmd: Command) => {
      const settings = await settingsFor(io, cmd);
      const [{ withStore, subscriptionDeps }, { importCsv }] = await Promise.all([import('../../../app/wiring.ts'), import('../../../subscribers/import.ts')]);
      await withStore(settings, io, async (store) => {
        const input: Readable = file === '-' ? (io.stdin as Readable) : createReadStream(file);
        await new Promise<void>((resolve, reject) => {
          if (file === '-') return resolve();
          input.once('open', () => resolve()).once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`${file}: cannot read (${err.code})`)));
        });
        const deps = await subscriptionDeps(settings, io, store);
        try {
          const report = await importCsv(deps, input, { confirmed: opts.confirmed ?? false, file });
          const name = file === '-' ? '<stdin>' : file;
          for (const p of report.problems) io.stderr(`${name}:${p.line}: error: ${p.message}; row skipped\n`);
          for (const p of report.notReadded) io.stderr(`${name}:${p.line}: warning: ${p.message}\n`);
          for (const p of report.confirmationFailures) io.stderr(`${name}:${p.line}: warning: ${p.message}\n`);
          for (const n of report.notes) io.stderr(`${name}:${n.line}: ${n.severity}: ${n.message}\n`);
          if (report.encoding !== 'utf-8') io.stderr(`${name}: info: read as ${report.encoding.toUpperCase()}\n`);
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
              (c['recorded-left'] > 0 ? `; ${c['recorded-left']} recorded as unsubscribed or bounced (never mailed)` : '') +
              (opts.confirmed ? '' : `; ${report.confirmationsSent} confirmation email${report.confirmationsSent === 1 ? '' : 's'} sent`) +
              '\n',
          );
          if (report.problems.length > 0) setExit(EXIT.rejected);
        } finally {
          await deps.transport.close();
        }
      });
    });
}
