// Timing and memory for `npm run bench`. Figures, not pass/fail: timed
// assertions are flaky on shared machines.
export interface Bench {
  name: string;
  ms: number;
  /** Peak resident set size seen during the run, MB. */
  rssMb: number;
  /** Heap used at the end, MB. */
  heapMb: number;
  note?: string;
}

export async function measure(name: string, fn: () => Promise<unknown>, note?: (result: unknown) => string): Promise<Bench> {
  globalThis.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const start = process.hrtime.bigint();
  const result = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { name, ms, rssMb: peak / 2 ** 20, heapMb: process.memoryUsage().heapUsed / 2 ** 20, ...(note ? { note: note(result) } : {}) };
}

export function table(rows: Bench[]): string {
  const lines = rows.map(
    (r) => `| ${r.name} | ${r.ms.toFixed(1)} ms | ${r.rssMb.toFixed(0)} MB | ${r.heapMb.toFixed(0)} MB | ${r.note ?? ''} |`,
  );
  return ['| benchmark | time | peak RSS | heap after | note |', '| --- | --- | --- | --- | --- |', ...lines].join('\n');
}
