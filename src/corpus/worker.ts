// A worker thread of the corpus stage: a LocalHost driven by messages from
// workers.ts. It keeps the sources it parsed, so the pages of their articles
// are later rendered here.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalHost, loadParser } from './host.ts';
import type { WorkerReply, WorkerRequest, WorkerStart } from './workers.ts';

const start = workerData as WorkerStart;
// The context comes with the first message (workers.ts).
let host: LocalHost | null = null;
const port = parentPort!;
// Loaded while the first sources are handed out; a failure shows when the module is used.
for (const url of start.warm) import(url).catch(() => undefined);

const parserLoaded = loadParser();

function theHost(): LocalHost {
  if (!host) throw new Error('a corpus worker thread was sent work before its context');
  return host;
}

async function handle(req: WorkerRequest): Promise<unknown> {
  if (req.op === 'context') {
    host ??= new LocalHost(req.context);
    return null;
  }
  await parserLoaded;
  const here = theHost();
  switch (req.op) {
    case 'parse':
      return here.parse(req.jobs);
    case 'articles':
      return req.requests.map((r) => here.article(r.job, r.id));
    case 'visit':
      return here.visit(req.taskId, req.task, req.jobs);
    case 'end':
      here.endTask(req.taskId);
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
