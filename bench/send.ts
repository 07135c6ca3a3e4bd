// `npm run bench send`: delivery figures.
//
// 1. One edition to 10,000 and 100,000 subscribers as whole commands
//    (start-up, build, freeze, ledger, SMTP), side by side with the plain
//    nodemailer loop a user would write, without and with DKIM, into one SMTP
//    sink in its own process (bench/peers/send.ts); the sink's own ceiling;
//    and `send` when nothing is new. Medians of alternated runs (3 at 10,000,
//    1 at 100,000 unless BENCH_SEND_RUNS says otherwise).
// 2. The same edition delivered by 1, 2 and 4 `send --worker` processes
//    sharing it through PostgreSQL: deliveries/s and the store's cost per
//    delivery.
// 3. The cost of one subscriber's message, spliced against composed
//    (bench/splice.ts): the per-message CPU, no socket.
// The table of (1) and (2) is printed here and kept in bench/results.json
// (peers.send); the rows returned are (3) and a summary line of each row of (1) and (2).
import { type Bench } from './measure.ts';
import { type Row, saveResults, table } from './peers/lib.ts';
import { benchWorkers, benchSend as wholeCommand } from './peers/send.ts';
import { benchSplice } from './splice.ts';

export async function benchSend(counts: number[] = [10_000, 100_000]): Promise<Bench[]> {
  const rows: Row[] = [];
  for (const n of counts) {
    const runs = Number(process.env.BENCH_SEND_RUNS ?? (n >= 100_000 ? 1 : 3));
    rows.push(...(await wholeCommand(n, runs, true)));
  }
  // Scaling out needs PostgreSQL (BROADSHEET_TEST_PG, default the test database on this machine).
  try {
    rows.push(...(await benchWorkers(10_000, [1, 2, 4])));
  } catch (err) {
    rows.push({ name: 'send --worker ×1/2/4 (PostgreSQL)', note: `not measured: ${(err as Error).message.split('\n')[0]}` });
  }
  saveResults('peers.send', { rows });
  console.log(`\n${table(rows)}\n`);
  const summary: Bench[] = rows
    .filter((r) => r.broadsheet && Number.isFinite(r.broadsheet.medianMs))
    .map((r) => ({
      name: r.name,
      ms: r.broadsheet!.medianMs,
      rssMb: r.broadsheet!.peakRssMb,
      heapMb: NaN,
      note: r.peer ? `${r.peer.label} ${r.peer.medianMs} ms; ${r.note ?? ''}` : (r.note ?? ''),
    }));
  return [...summary, ...(await benchSplice())];
}
