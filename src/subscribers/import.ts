// CSV import: streamed, checked row by row, written in batches. Rows with
// errors are reported with their line and skipped; good rows go in.
//
// Made for the files people actually have: a list saved by Excel on Chinese
// Windows is GBK, so the encoding is detected as for articles (UTF-8 with or
// without BOM, UTF-16 with BOM, else GB18030); and the output of `subscribers
// export` imports again (its extra columns are noted and ignored, a `status`
// of unsubscribed or bounced is kept so no one who left is ever mailed, and
// the apostrophe that guards spreadsheet formulas is taken off).
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { CsvHeaderError, InputError } from '../errors.ts';
import { type ImportOutcome, type ImportRequest, type Subscriber, decideImport } from './lifecycle.ts';
import { type SubscriptionDeps, checkSubscription, sendConfirmation } from './service.ts';

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportNote extends ImportProblem {
  severity: 'warning' | 'info';
}

export interface ImportReport {
  rows: number;
  /** How the file was decoded. */
  encoding: CsvEncoding;
  counts: Record<ImportOutcome, number>;
  /** Rows skipped for bad input. */
  problems: ImportProblem[];
  /** Rows skipped because the address had unsubscribed or bounced. */
  notReadded: ImportProblem[];
  /** Things worth knowing that skipped nothing: ignored columns, names with undecodable bytes. */
  notes: ImportNote[];
  confirmationsSent: number;
  /** Confirmation emails that could not be sent (the subscriber stays pending). */
  confirmationFailures: ImportProblem[];
}

/** Columns the import reads (the last four as `export` writes them); any other column is ignored with a note. */
const COLUMNS = ['email', 'name', 'schedule', 'status', 'unsubscribed_at', 'bounced_at', 'bounce_reason'] as const;
/** What `status` may say; pending and active rows are imported as new subscriptions. */
const STATUSES = new Set(['', 'pending', 'active', 'unsubscribed', 'bounced']);
const BATCH = 1000;
/** Bytes looked at to tell the encoding. */
const SNIFF_BYTES = 64 * 1024;

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030';

/** The encoding of a CSV from its first bytes: a BOM, else strict UTF-8, else GB18030 (GBK, as Excel saves on Chinese Windows). */
export function sniffEncoding(sample: Uint8Array): CsvEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  try {
    // `stream: true`: a character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

/** Reads enough of the input to tell its encoding, then yields it all decoded (BOM removed). */
async function decoded(input: Readable): Promise<{ encoding: CsvEncoding; text: Readable }> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    size += chunk.length;
  }
  const encoding = sniffEncoding(Buffer.concat(head));
  async function* bytes() {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return { encoding, text: Readable.from(bytes()).pipe(iconv.decodeStream(encoding)) as unknown as Readable };
}

/** An exported timestamp, if it is one (RFC 3339); otherwise the import's own moment is used. */
function moment(cell: string | undefined): string | null {
  return cell !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(cell) && !Number.isNaN(Date.parse(cell)) ? new Date(cell).toISOString() : null;
}

/** The guard `export` puts before a cell a spreadsheet would run as a formula (OWASP), taken off again. */
function unguard(cell: string | undefined): string | undefined {
  return cell !== undefined && /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

export async function importCsv(
  deps: SubscriptionDeps,
  input: Readable,
  options: { confirmed: boolean; file: string },
): Promise<ImportReport> {
  const { encoding, text } = await decoded(input);
  const report: ImportReport = {
    rows: 0,
    encoding,
    counts: { created: 0, activated: 0, unchanged: 0, 'skipped-unsubscribed': 0, 'recorded-left': 0 },
    problems: [],
    notReadded: [],
    notes: [],
    confirmationsSent: 0,
    confirmationFailures: [],
  };
  const parser = text.pipe(
    parse({
      trim: true,
      skip_empty_lines: true,
      info: true,
      skip_records_with_error: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        if (!names.includes('email')) {
          throw new CsvHeaderError(`${options.file}:1: error: the header must name an "email" column (expected: email,name,schedule)`);
        }
        const repeated = names.filter((n, i) => n !== '' && names.indexOf(n) !== i);
        if (repeated.length > 0) {
          throw new CsvHeaderError(`${options.file}:1: error: column(s) ${[...new Set(repeated)].map((r) => `"${r}"`).join(', ')} appear more than once`);
        }
        const ignored = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
        if (ignored.length > 0) {
          report.notes.push({ line: 1, severity: 'info', message: `column(s) ${ignored.map((u) => `"${u}"`).join(', ')} ignored (read: ${COLUMNS.join(', ')})` });
        }
        // An ignored column keeps its place (csv-parse needs one name per column) under a name no row uses.
        return names.map((n, i) => ((COLUMNS as readonly string[]).includes(n) ? n : `\u0000ignored${i}`));
      },
    }),
  );
  parser.on('skip', (err: Error & { lines?: number }) => {
    report.rows++;
    report.problems.push({ line: err.lines ?? 0, message: err.message });
  });

  let batch: Array<Omit<ImportRequest, 'origin' | 'confirmed'> & { line: number; unconfirmed?: boolean }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const now = deps.clock().toISOString();
    const results = await deps.store.changeMany(
      rows.map((r) => r.email),
      (current, i) => decideImport(current, { ...rows[i]!, origin: 'import', confirmed: options.confirmed && !rows[i]!.unconfirmed }, now, deps.newId()),
    );
    const toConfirm: Array<{ line: number; subscriber: Subscriber }> = [];
    results.forEach(({ outcome, subscriber }, i) => {
      report.counts[outcome]++;
      const line = rows[i]!.line;
      if (outcome === 'skipped-unsubscribed' && subscriber) {
        report.notReadded.push({ line, message: `${subscriber.email} is ${subscriber.status}; an import never re-adds them` });
      }
      // A --confirmed import sends nothing, not even to the rows it keeps pending.
      if (outcome === 'created' && !options.confirmed && subscriber) toConfirm.push({ line, subscriber });
    });
    for (const { line, subscriber } of toConfirm) {
      const problem = await sendConfirmation(deps, subscriber);
      if (!problem) report.confirmationsSent++;
      else {
        report.confirmationFailures.push({
          line,
          message: `confirmation to ${subscriber.email} not sent: ${problem.message}${problem.bounced ? '; the address is marked bounced' : ''}`,
        });
      }
    }
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    report.rows++;
    const line = info.lines;
    try {
      const status = (unguard(record.status) ?? '').toLowerCase();
      if (!STATUSES.has(status)) throw new InputError('body', `unknown status "${record.status}" (pending, active, unsubscribed, bounced)`);
      const checked = checkSubscription(deps.config, {
        email: unguard(record.email) ?? '',
        name: unguard(record.name),
        schedule: unguard(record.schedule),
      });
      if (checked.name?.includes('\uFFFD')) {
        report.notes.push({ line, severity: 'warning', message: `the name of ${checked.email} holds undecodable bytes (U+FFFD); the file may not be ${encoding}: save it as UTF-8` });
      }
      const left =
        status === 'unsubscribed' || status === 'bounced'
          ? { status: status as 'unsubscribed' | 'bounced', at: moment(status === 'unsubscribed' ? record.unsubscribed_at : record.bounced_at), reason: status === 'bounced' ? (unguard(record.bounce_reason) || null) : null }
          : undefined;
      // A row the file calls pending never opted in: it is not activated by --confirmed.
      batch.push({ line, ...checked, left, ...(status === 'pending' ? { unconfirmed: true } : {}) });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      report.problems.push({ line, message: err.message });
    }
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return report;
}
