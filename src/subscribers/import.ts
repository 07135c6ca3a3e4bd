// CSV import: streamed, checked row by row, written in batches. Rows with
// errors are reported with their line and skipped; good rows go in.
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { decideImport, type ImportOutcome, type Subscriber } from './lifecycle.ts';
import { InputError } from '../errors.ts';
import { type SubscriptionDeps, checkSubscription } from './service.ts';
import { CsvHeaderError } from '../errors.ts';

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportReport {
  rows: number;
  counts: Record<ImportOutcome, number>;
  /** Rows skipped for bad input. */
  problems: ImportProblem[];
  /** Rows skipped because the address had unsubscribed or bounced. */
  notReadded: ImportProblem[];
  confirmationsSent: number;
  /** Confirmation emails that could not be sent (the subscriber stays pending). */
  confirmationFailures: ImportProblem[];
}

const COLUMNS = ['email', 'name', 'schedule'];
const BATCH = 1000;

export async function importCsv(
  deps: SubscriptionDeps,
  input: Readable,
  options: { confirmed: boolean; file: string },
): Promise<ImportReport> {
  const report: ImportReport = {
    rows: 0,
    counts: { created: 0, activated: 0, unchanged: 0, 'skipped-unsubscribed': 0 },
    problems: [],
    notReadded: [],
    confirmationsSent: 0,
    confirmationFailures: [],
  };
  const parser = input.pipe(
    parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
      skip_records_with_error: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        if (!names.includes('email')) {
          throw new CsvHeaderError(`${options.file}:1: error: the header must name an "email" column (expected: ${COLUMNS.join(',')})`);
        }
        const unknown = names.filter((n) => !COLUMNS.includes(n));
        if (unknown.length > 0) {
          throw new CsvHeaderError(`${options.file}:1: error: unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')} (expected: ${COLUMNS.join(',')})`);
        }
        return names;
      },
    }),
  );
  parser.on('skip', (err: Error & { lines?: number }) => {
    report.rows++;
    report.problems.push({ line: err.lines ?? 0, message: err.message });
  });

  let batch: Array<{ line: number; email: string; name: string | null; schedule: string }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const now = deps.clock().toISOString();
    const results = await deps.store.changeMany(
      rows.map((r) => r.email),
      (current, i) => decideImport(current, { ...rows[i]!, origin: 'import', confirmed: options.confirmed }, now, deps.newId()),
    );
    const toConfirm: Array<{ line: number; subscriber: Subscriber }> = [];
    results.forEach(({ outcome, subscriber }, i) => {
      report.counts[outcome]++;
      const line = rows[i]!.line;
      if (outcome === 'skipped-unsubscribed' && subscriber) {
        report.notReadded.push({ line, message: `${subscriber.email} is ${subscriber.status}; an import never re-adds them` });
      }
      if (outcome === 'created' && !options.confirmed && subscriber) toConfirm.push({ line, subscriber });
    });
    for (const { line, subscriber } of toConfirm) {
      try {
        await deps.confirmations.send(subscriber);
        report.confirmationsSent++;
      } catch (err) {
        report.confirmationFailures.push({ line, message: `confirmation to ${subscriber.email} not sent: ${(err as Error).message}` });
      }
    }
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    report.rows++;
    try {
      const checked = checkSubscription(deps.config, { email: record.email ?? '', name: record.name, schedule: record.schedule });
      batch.push({ line: info.lines, ...checked });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      report.problems.push({ line: info.lines, message: err.message });
    }
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return report;
}
