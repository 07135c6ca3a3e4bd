// `GET /rss.xml` against `broadsheet serve`, next to nginx serving the same
// file in the same run: conditional GETs answered 304 (a feed reader polling
// an unchanged feed) and full GETs, 10 connections for 10 s each, with
// autocannon, alternated, medians of `runs` rounds. Figures, not pass/fail.
// Target: 304s at ≥ 0.6× nginx's rate.
//
//   node --import tsx bench/peers/serve.ts [--runs N] [--seconds S]
//
// nginx is optional (apt-get install nginx-light): without it there is no
// peer column. It runs with one worker, as broadsheet serve is one process.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ROOT, broadsheet, expectExit, freshDir, installed, isolatedEnv, median, remove, saveResults, say, timed } from './lib.ts';

interface Figure {
  label: string;
  /** Requests per second, each round. */
  rounds: number[];
  median: number;
  /** Responses other than the expected status, summed over rounds (should be 0). */
  unexpected: number;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before answering`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} within 60 s`);
}

async function load(url: string, seconds: number, headers: Record<string, string>, expected: number): Promise<{ rps: number; unexpected: number }> {
  const r = await autocannon({ url, connections: 10, duration: seconds, headers });
  const ok = expected === 304 ? r['3xx'] : r['2xx'];
  return { rps: r.requests.average, unexpected: r.non2xx - (expected === 304 ? r['3xx'] : 0) + (expected === 304 ? r['2xx'] : 0) + r.errors + r.timeouts + (ok === 0 ? 1 : 0) };
}

function nginxConf(dir: string, root: string, port: number): string {
  return `user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/rss+xml xml; }
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server { listen 127.0.0.1:${port}; root ${root}; etag on; }
}
`;
}

export async function benchServe(runs = 3, seconds = 10): Promise<Record<string, Figure>> {
  const dir = freshDir('serve');
  const children: ChildProcess[] = [];
  try {
    cpSync(path.join(ROOT, 'articles'), path.join(dir, 'articles'), { recursive: true });
    const env = isolatedEnv(dir, { BROADSHEET_ARTICLES: path.join(dir, 'articles') });
    expectExit(timed(broadsheet('build'), { cwd: dir, env }), 'broadsheet build');
    const bsPort = await freePort();
    const [cmd, ...args] = broadsheet('serve', '--port', String(bsPort), '--no-scheduler', '--no-watch', '--log-level', 'warn');
    const bs = spawn(cmd!, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(bs);
    const bsUrl = `http://127.0.0.1:${bsPort}/rss.xml`;
    await waitFor(bsUrl, bs, 'broadsheet serve');

    let ngUrl: string | null = null;
    if (installed('nginx')) {
      const ngDir = path.join(dir, 'nginx');
      mkdirSync(path.join(ngDir, 'tmp'), { recursive: true });
      const ngPort = await freePort();
      writeFileSync(path.join(ngDir, 'nginx.conf'), nginxConf(ngDir, path.join(dir, 'public'), ngPort));
      const ng = spawn('nginx', ['-p', ngDir, '-c', path.join(ngDir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(ng);
      ngUrl = `http://127.0.0.1:${ngPort}/rss.xml`;
      await waitFor(ngUrl, ng, 'nginx');
    } else {
      say('serve: nginx is not installed (apt-get install nginx-light): no peer figures');
    }

    const etag = async (url: string) => (await fetch(url, { headers: { 'Accept-Encoding': 'identity' } })).headers.get('etag')!;
    const targets = [
      { key: 'broadsheet304', label: 'broadsheet serve, 304', url: bsUrl, tag: await etag(bsUrl), expected: 304 },
      ...(ngUrl ? [{ key: 'nginx304', label: 'nginx, 304', url: ngUrl, tag: await etag(ngUrl), expected: 304 }] : []),
      { key: 'broadsheetFull', label: 'broadsheet serve, full GET', url: bsUrl, tag: null, expected: 200 },
      ...(ngUrl ? [{ key: 'nginxFull', label: 'nginx, full GET', url: ngUrl, tag: null, expected: 200 }] : []),
    ];
    const raw = new Map<string, { rps: number[]; unexpected: number }>(targets.map((t) => [t.key, { rps: [], unexpected: 0 }]));
    // Warm-up, not counted: the JIT compiles the hot path, caches fill.
    for (const t of targets) await load(t.url, 2, t.tag ? { 'If-None-Match': t.tag } : {}, t.expected);
    for (let round = 1; round <= runs; round++) {
      for (const t of targets) {
        say(`serve: round ${round}/${runs}: ${t.label} (${seconds} s, 10 connections)`);
        const r = await load(t.url, seconds, t.tag ? { 'If-None-Match': t.tag } : {}, t.expected);
        raw.get(t.key)!.rps.push(Math.round(r.rps));
        raw.get(t.key)!.unexpected += r.unexpected;
      }
    }
    const figures: Record<string, Figure> = {};
    for (const t of targets) {
      const r = raw.get(t.key)!;
      figures[t.key] = { label: t.label, rounds: r.rps, median: median(r.rps), unexpected: r.unexpected };
    }
    return figures;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
    remove(dir);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' } } });
  const figures = await benchServe(Number(values.runs), Number(values.seconds));
  const ratio = (a?: Figure, b?: Figure) => (a && b ? (a.median / b.median).toFixed(2) : '—');
  saveResults('peers.serve', { figures, ratio304: ratio(figures.broadsheet304, figures.nginx304), ratioFull: ratio(figures.broadsheetFull, figures.nginxFull) });
  console.log('| GET /rss.xml, 10 connections | broadsheet serve (median req/s) | nginx (median req/s) | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| If-None-Match → 304 | ${figures.broadsheet304?.median} | ${figures.nginx304?.median ?? '—'} | ${ratio(figures.broadsheet304, figures.nginx304)} |`);
  console.log(`| full GET (200) | ${figures.broadsheetFull?.median} | ${figures.nginxFull?.median ?? '—'} | ${ratio(figures.broadsheetFull, figures.nginxFull)} |`);
  for (const f of Object.values(figures)) if (f.unexpected > 0) console.log(`warning: ${f.label}: ${f.unexpected} unexpected responses`);
}
