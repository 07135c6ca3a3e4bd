// A worker thread of the corpus stage: a LocalHost driven by messages from
// workers.ts. It keeps the sources it parsed, so the pages of their articles
// are later rendered here.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalHost, loadParser } from './host.ts';
import type { WorkerReply, WorkerRequest, WorkerStart } from './workers.ts';

const start = workerData as WorkerStart;
const host = new LocalHost(start.context);
const port = parentPort!;
// Loaded while the first sources are handed out; a failure shows when the module is used.
for (const url of start.warm) import(url).catch(() => undefined);

const parserLoaded = loadParser();

async function handle(req: WorkerRequest): Promise<unknown> {
  await parserLoaded;
  switch (req.op) {
    case 'parse':
      return host.parse(req.jobs);
    case 'articles':
      return req.requests.map((r) => host.article(r.job, r.id));
    case 'visit':
      return host.visit(req.taskId, req.task, req.jobs);
    case 'end':
      host.endTask(req.taskId);
      return null;
  }
}

port.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (value) => port.postMessage({ id: req.id, ok: true, value } satisfies WorkerReply),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      const error = { name: e.name, message: e.message, stack: e.stack ?? '', code: (e as NodeJS.ErrnoException).code };
      port.postMessage({ id: req.id, ok: false, error } satisfies WorkerReply);
    },
  );
});
