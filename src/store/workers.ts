// Who is delivering now (send/store.ts owns the interface): one row per
// worker, renewed by its heartbeat, for `editions` and /healthz.
import type { ActiveWorker, WorkerBeat, WorkerStore } from '../send/store.ts';
import type { Db } from './db.ts';

export class SqlWorkerStore implements WorkerStore {
  constructor(private readonly db: Db) {}

  async beat(worker: WorkerBeat, now: Date): Promise<void> {
    const seenAt = now.toISOString();
    await this.db.run('recording a worker', () =>
      this.db.kysely
        .insertInto('workers')
        .values({ ...worker, seenAt })
        .onConflict((oc) => oc.column('id').doUpdateSet({ seenAt, editionId: worker.editionId, sent: worker.sent }))
        .execute(),
    );
  }

  async leave(id: string): Promise<void> {
    await this.db.run('removing a worker', () => this.db.kysely.deleteFrom('workers').where('id', '=', id).execute());
  }

  async active(since: Date): Promise<ActiveWorker[]> {
    return this.db.run('reading workers', () =>
      this.db.kysely.selectFrom('workers').selectAll().where('seenAt', '>=', since.toISOString()).orderBy('id').execute(),
    );
  }
}
