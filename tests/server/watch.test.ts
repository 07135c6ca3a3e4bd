// Live rebuilds: sources dropped into, changed in or removed from the watched
// articles folder are served without a restart; a burst is one rebuild; a
// bad source is reported while the rest stay published; the WebSub hub (a
// stub on loopback) is pinged for the feeds that changed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, until } from './harness.ts';

let h: Harness;
const pings: URLSearchParams[] = [];
const hub = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    pings.push(new URLSearchParams(body));
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', () => r()));
  const hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/hub`;
  h = await startHarness({ watch: true, config: { feed: { websub: { hub: hubUrl } }, server: { rebuildDelayMs: 200 } } });
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => hub.close(() => r()));
});

const feed = async () => (await fetch(h.url('/rss.xml'))).text();
const builds = async () => Number(/^broadsheet_builds_total\{result="(?:ok|rejected)"\} (\d+)$/m.exec(await (await fetch(h.url('/metrics'))).text())?.[1] ?? 0);
const articles = (n: number) => async () => ((await (await fetch(h.url('/healthz'))).json()) as { build: { articles: number } }).build.articles === n;

describe('watching the articles folder', () => {
  it('serves a dropped-in source without a restart, names the hub in the feeds and pings it', async () => {
    const rss = await feed();
    expect(rss).toContain(`<atom:link href="${h.config.feed.websub.hub}" rel="hub"/>`);
    expect(await (await fetch(h.url('/atom.xml'))).text()).toContain(`<link rel="hub" href="${h.config.feed.websub.hub}"/>`);
    const started = Date.now();
    await writeFile(path.join(h.dir, 'articles', 'new.txt'), '# 太原新开一座图书馆\n\n本报讯 新馆今日开放。\n');
    await until('the new article in rss.xml', async () => (await feed()).includes('太原新开一座图书馆'));
    // The target is 2 s; the figure is printed, not asserted (a loaded machine is slower, not wrong).
    console.log(`watch: served ${Date.now() - started} ms after the file was written`);
    await until('the hub ping', () => pings.length >= 2);
    expect(pings.map((p) => [p.get('hub.mode'), p.get('hub.url')])).toEqual([
      ['publish', `${h.config.site.baseUrl}/rss.xml`],
      ['publish', `${h.config.site.baseUrl}/atom.xml`],
    ]);
  });

  it('reports a bad source in /healthz while the other items stay published', async () => {
    await writeFile(path.join(h.dir, 'articles', 'broken.txt'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x50, 0x4b]));
    await until('the rejected source in /healthz', async () => {
      const body = (await (await fetch(h.url('/healthz'))).json()) as { build: { rejected: string[] } };
      return body.build.rejected.some((s) => s.endsWith('broken.txt'));
    });
    const health = (await (await fetch(h.url('/healthz'))).json()) as { status: string; build: { problems: Array<{ source: string; severity: string }> } };
    expect(health.status).toBe('degraded');
    expect(health.build.problems.some((p) => p.source.endsWith('broken.txt') && p.severity === 'error')).toBe(true);
    expect(await feed()).toContain('太原新开一座图书馆');
    expect(h.logs.some((l) => l.includes('broken.txt') && l.includes('"level":40'))).toBe(true);
    await rm(path.join(h.dir, 'articles', 'broken.txt'));
    await until('the source gone', async () => ((await (await fetch(h.url('/healthz'))).json()) as { build: { rejected: string[] } }).build.rejected.length === 0);
  });

  it('turns a burst of 100 files into one rebuild', async () => {
    await h.service.idle();
    const before = await builds();
    const count = ((await (await fetch(h.url('/healthz'))).json()) as { build: { articles: number } }).build.articles;
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => writeFile(path.join(h.dir, 'articles', `burst-${String(i).padStart(3, '0')}.txt`), `# 批量稿件第${i + 1}篇\n\n本报讯 正文。\n`)),
    );
    await until('all 100 published', articles(count + 100));
    await h.service.idle();
    expect(await builds()).toBe(before + 1);
  });

  it('drops a deleted source from the feeds', async () => {
    await rm(path.join(h.dir, 'articles', 'new.txt'));
    await until('the article gone from rss.xml', async () => !(await feed()).includes('太原新开一座图书馆'));
  });
});
