// Import benchmark: a 100,000-row CSV streamed into the store in batches.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { openStore } from '../src/store/open.ts';
import { importCsv } from '../src/subscribers/import.ts';
import { type Bench, measure } from './measure.ts';

export async function benchImport(rows: number): Promise<Bench[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'broadsheet-bench-import-'));
  try {
    const csv = path.join(dir, 'list.csv');
    const lines = ['email,name,schedule'];
    for (let i = 0; i < rows; i++) lines.push(`reader${i}@example.com,读者${i},${i % 7 ? 'daily' : 'weekly'}`);
    await writeFile(csv, lines.join('\n'));
    const config = configSchema.parse({});
    const store = await openStore({ sqlitePath: path.join(dir, 'b.db') }, () => new Date());
    let n = 0;
    const deps = {
      store: store.subscribers,
      config,
      clock: () => new Date(),
      newId: () => (++n).toString(16).padStart(32, '0'),
      secret: 'x'.repeat(64),
      confirmations: { send: async () => undefined },
    };
    const bench = await measure(`subscribers import: ${rows} CSV rows (--confirmed, SQLite)`, () =>
      importCsv(deps, createReadStream(csv), { confirmed: true, file: 'list.csv' }),
    (r) => `${(r as Awaited<ReturnType<typeof importCsv>>).counts.created} added`);
    await store.close();
    return [bench];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
