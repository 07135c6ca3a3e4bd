// The thread mjml-thread.ts starts: MJML runs here, so the process that
// sends keeps none of MJML's memory once the edition is rendered.
import { parentPort } from 'node:worker_threads';
import { checkMjmlTemplate, mjmlToHtml } from './mjml.ts';

export type MjmlRequest = { id: number; op: 'render'; source: string; where: string } | { id: number; op: 'check'; source: string; where: string };
export type MjmlReply = { id: number; ok: true; html: string } | { id: number; ok: false; error: { name: string; message: string } };

parentPort!.on('message', (req: MjmlRequest) => {
  const work = req.op === 'render' ? mjmlToHtml(req.source, req.where) : checkMjmlTemplate(req.source, req.where).then(() => '');
  work.then(
    (html) => parentPort!.postMessage({ id: req.id, ok: true, html } satisfies MjmlReply),
    (err: Error) => parentPort!.postMessage({ id: req.id, ok: false, error: { name: err.name, message: err.message } } satisfies MjmlReply),
  );
});
