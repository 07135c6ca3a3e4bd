// MJML in a worker thread, for `send`: MJML and what it loads (juice,
// cheerio, an HTML minifier …) take some 30 MB that a process delivering
// 100,000 messages would otherwise carry to the end. The thread starts on
// first use and ends with close(); its memory goes with it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MjmlError } from '../errors.ts';
import type { MjmlReply, MjmlRequest } from './mjml-worker.ts';
import type { MjmlRenderer } from './render.ts';

export interface MjmlThread {
  /** mjml.ts mjmlToHtml, in the thread. */
  render: MjmlRenderer;
  /** mjml.ts checkMjmlTemplate, in the thread. */
  check(source: string, where: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts mjml-worker.ts: the compiled JavaScript directly, the TypeScript sources through tsx (as corpus/workers.ts does). */
function spawn(): Worker {
  const ext = path.extname(new URL(import.meta.url).pathname);
  const entry = new URL(`./mjml-worker${ext}`, import.meta.url);
  if (ext === '.js') return new Worker(entry);
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true });
}

export function mjmlThread(): MjmlThread {
  let worker: Worker | null = null;
  let next = 1;
  const pending = new Map<number, { resolve: (html: string) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker = null;
  };
  const start = (): Worker => {
    const w = spawn();
    w.on('message', (reply: MjmlReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.html);
      // MJML's errors name the template and line; they keep their class across the thread.
      else p.reject(reply.error.name === 'MjmlError' ? new MjmlError(reply.error.message) : Object.assign(new Error(reply.error.message), { name: reply.error.name }));
    });
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`the MJML thread ended (exit ${code})`)));
    return w;
  };
  const ask = (req: Omit<MjmlRequest, 'id'>): Promise<string> =>
    new Promise((resolve, reject) => {
      worker ??= start();
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...req, id });
    });
  return {
    render: (source, where) => ask({ op: 'render', source, where }),
    check: async (source, where) => void (await ask({ op: 'check', source, where })),
    close: async () => {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
