// Worker threads and incremental builds are speed-ups only: the output folder
// holds the same bytes whether a build ran on this thread, one worker thread
// or several, and whether it was built afresh or brought up to date.
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThreadsAhead } from '../../src/corpus/workers.ts';
import { PAGE_TASK } from '../../src/publish/publish.ts';
import { type TestSite, makeSite, samples } from '../helpers/site.ts';
import { readTree } from '../helpers/tmp.ts';

const T1 = '2026-11-25T12:00:00+08:00';
const T2 = '2026-11-26T09:30:00+08:00';
const T3 = '2026-11-27T10:00:00+08:00';

/** 150 sources (more than two chunks of 64, so several threads get work): the samples with a numbered first line, and hostile ones. */
async function corpus(): Promise<Record<string, string | Uint8Array>> {
  const s = await samples();
  const texts = Object.values(s).map((b) => Buffer.from(b).toString('utf8'));
  const files: Record<string, string | Uint8Array> = {
    'h/markup.md': '---\ntags: ["a<b&c"]\n---\n# <b>标题</b> & ]]>\n\n正文 <i>。\n',
    'h/nodate.txt': '没有日期的正文。\n',
    'h/empty.txt': '',
    'h/dup.md': '---\nid: d/001#1\n---\n# 重复\n\n正文。\n',
  };
  for (let i = 0; i < 146; i++) {
    files[`d/${String(i).padStart(3, '0')}.txt`] = texts[i % 2]!.replace(/^(\s*)(\S)/, `$1第${i}号 $2`);
  }
  return files;
}

const out = (site: TestSite, name: string) => path.join(site.dir, name);

// Worker threads started from the TypeScript sources load them through tsx, a few seconds each on a busy machine.
const SLOW = { timeout: 120_000 };

describe('build output', () => {
  it('is the same on this thread, on one worker thread and on several', SLOW, async () => {
    const files = await corpus();
    const trees: Array<Map<string, string>> = [];
    const reports = [];
    for (const threads of [{ max: 0, from: 1 }, { max: 1, from: 1 }, { max: 3, from: 1 }]) {
      const site = await makeSite(files);
      reports.push(await site.build(T1, {}, threads));
      trees.push(await readTree(out(site, 'public')));
    }
    expect(trees[0]!.size).toBeGreaterThan(150);
    expect(trees[1]).toEqual(trees[0]);
    expect(trees[2]).toEqual(trees[0]);
    for (const r of reports) {
      expect(r.reparsed).toBe(150);
      expect(r.rejected.map((s) => path.basename(s))).toEqual(['dup.md', 'empty.txt']);
    }
  });

  it('is the same with worker threads started ahead, whether the build takes them over or leaves them', SLOW, async () => {
    const files = await corpus();
    const plain = await makeSite(files);
    await plain.build(T1, {}, { max: 2, from: 1 });
    const expected = await readTree(out(plain, 'public'));
    // Taken over: the threads learn the parse context from their first message.
    const taken = await makeSite(files);
    const ahead = new ThreadsAhead(2, [PAGE_TASK]);
    const replies = ahead.running().map((w) => {
      let n = 0;
      w.on('message', () => n++);
      return () => n;
    });
    const report = await taken.build(T1, {}, { max: 2, from: 1 }, ahead);
    expect(report.reparsed).toBe(150);
    expect(await readTree(out(taken, 'public'))).toEqual(expected);
    // Both threads did the work: they answered parse and render requests.
    expect(replies.map((n) => n())).toEqual([expect.any(Number), expect.any(Number)]);
    for (const n of replies) expect(n()).toBeGreaterThan(1);
    expect(ahead.running()).toEqual([]);
    // Left: everything parsed here; closing the corpus stops the threads nobody took.
    const left = await makeSite(files);
    const unused = new ThreadsAhead(2, [PAGE_TASK]);
    const exits = unused.running().map((w) => new Promise((resolve) => w.once('exit', resolve)));
    await left.build(T1, {}, { max: 0, from: 1 }, unused);
    expect(await readTree(out(left, 'public'))).toEqual(expected);
    await Promise.all(exits);
    expect(unused.running()).toEqual([]);
  });

  it('is the same built afresh as brought up to date by incremental builds', SLOW, async () => {
    const site = await makeSite(await corpus());
    const articles = path.join(site.dir, 'articles');
    // Incremental, on this thread: build, then an edit, a new source, a removed one, and a touched one.
    await site.build(T1, {}, { max: 0, from: 1 });
    const edited = path.join(articles, 'd', '007.txt');
    await writeFile(edited, (await readFile(edited, 'utf8')).replace('。', ',有改动。'));
    await writeFile(path.join(articles, 'd', 'new.txt'), '# 新来的\n\n正文。\n');
    await rm(path.join(articles, 'd', '010.txt'));
    await utimes(path.join(articles, 'd', '011.txt'), new Date(), new Date('2030-01-01'));
    const second = await site.build(T2, {}, { max: 0, from: 1 });
    expect(second.reparsed).toBe(2);
    // The edited article, the new one, and the months that list them: not the other 200 pages.
    expect(second.pagesWritten).toBeLessThan(6);
    expect(second.changedFiles).toEqual(expect.arrayContaining(['articles/d-new-1.html', 'articles/d-010-1.html']));
    const third = await site.build(T3, {}, { max: 0, from: 1 });
    expect(third.changedFiles).toEqual([]);
    const incremental = await readTree(out(site, 'public'));

    // Afresh: the same store (so the same history), no parse cache, a new output folder, worker threads.
    await rm(path.join(site.dir, 'data', 'cache'), { recursive: true });
    const fresh = await site.build(T3, { out: out(site, 'fresh') }, { max: 2, from: 1 });
    expect(fresh.reparsed).toBe(150);
    expect(await readTree(out(site, 'fresh'))).toEqual(incremental);
    expect(Buffer.from(incremental.get('articles/d-new-1.html')!, 'latin1').toString('utf8')).toContain('新来的');
    expect(incremental.has('articles/d-010-1.html')).toBe(false);
  });
});
