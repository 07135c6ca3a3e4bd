// `build` bringing the site up to date in place when only the text of a few
// sources changed (publish/patch.ts), through the real binary. Two identical
// sites get the same edit: one builds as usual (patched in place), the other
// with its stamp removed (a real build); they must end the same, to the byte:
// what the command says, the output folder, the store's items, the parse
// cache and the page record.
//
// A patch reads only the parse-cache shards of the sources it parses, a real
// build reads them all: one shard holding another source is spoiled before
// each build, so a real build parses that source again ("2 source(s)
// parsed") where a patch parses only the edited one. That is how these tests
// tell the two apart.
import { cp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/corpus/cache.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { samples } from '../helpers/site.ts';
import { readTree, tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';
const LATER = '2026-11-26T09:00:00+08:00';
const FROM_STAMP = /built public\/: 0 file\(s\) changed, 0 page\(s\) written, 0 source\(s\) parsed\n$/;

/** Eight sources, one article each, dated 3月1日 … 3月8日; the feeds show the newest three. */
function sources(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let n = 1; n <= 8; n++) files[`a${n}.txt`] = `# 第${n}条消息\n\n3月${n}日，本市举行第${n}场活动。\n\n第二段内容。\n`;
  return files;
}

const minuteAgo = () => new Date(Date.now() - 60_000);

async function site(files: Record<string, string | Uint8Array> = sources(), itemLimit = 3): Promise<string> {
  const dir = await tempDir('broadsheet-patch-');
  await writeFiles(path.join(dir, 'articles'), files);
  // Sources at rest, not "racily clean": dated a minute back.
  for (const f of Object.keys(files)) await utimes(path.join(dir, 'articles', f), minuteAgo(), minuteAgo());
  await writeFile(
    path.join(dir, 'broadsheet.config.yaml'),
    `site:\n  baseUrl: https://news.example.com\nfeed:\n  itemLimit: ${itemLimit}\npaths:\n  templates: ${path.join(ROOT, 'templates')}\n`,
  );
  return dir;
}

const build = (dir: string, now = LATER) => runCli(['build', '--now', now], { cwd: dir });

async function edit(dir: string, file: string, change: (text: string) => string): Promise<void> {
  const p = path.join(dir, 'articles', file);
  await writeFile(p, change(await readFile(p, 'utf8')));
  await utimes(p, minuteAgo(), new Date(Date.now() - 30_000));
}

/** Spoils the parse-cache shard of `source` (`articles/aN.txt`): a real build parses its sources again. */
async function spoilShardOf(dir: string, source: string): Promise<void> {
  await writeFile(path.join(dir, 'data', 'cache', 'manifest', `${shardOf(source).toString(16).padStart(2, '0')}.json`), 'spoilt');
}

async function forgetStamp(dir: string): Promise<void> {
  const cache = path.join(dir, 'data', 'cache');
  for (const f of await readdir(cache)) if (f.startsWith('build-')) await rm(path.join(cache, f));
}

function items(dir: string): unknown[] {
  const db = new Database(path.join(dir, 'data', 'broadsheet.db'), { readonly: true });
  try {
    return db.prepare('select * from items order by id').all();
  } finally {
    db.close();
  }
}

/**
 * The state a build leaves that a later one reads: output, store items,
 * parse cache and page record; not the stamp, and not what names the site's
 * own files (the page record's file name hashes the output folder's path,
 * the cache keeps each source's mtime).
 */
async function state(dir: string, spoilt: string) {
  const shard = `${shardOf(spoilt).toString(16).padStart(2, '0')}.json`;
  const cache = new Map<string, unknown>();
  for (const [rel, text] of await readTree(path.join(dir, 'data', 'cache'), new RegExp(`^build-|${shard}$`))) {
    const json = JSON.parse(Buffer.from(text, 'latin1').toString('utf8')) as { sources?: Record<string, { mtimeMs?: number }> };
    for (const entry of Object.values(json.sources ?? {})) delete entry.mtimeMs;
    // As text: the order of the entries counts too.
    cache.set(rel.replace(/^pages-\w+\.json$/, 'pages.json'), JSON.stringify(json));
  }
  return { out: await readTree(path.join(dir, 'public')), items: items(dir), cache };
}

/** Two identical sites, built, then given the same change; `a` is then built as usual, `b` for real. */
async function twoSites(change: (dir: string) => Promise<void>, spoilt = 'articles/a8.txt', files: Record<string, string | Uint8Array> = sources(), itemLimit = 3) {
  const [a, b] = [await site(files, itemLimit), await site(files, itemLimit)];
  for (const dir of [a, b]) {
    await build(dir, NOW);
    await change(dir);
  }
  await spoilShardOf(a, spoilt);
  const patched = await build(a);
  await forgetStamp(b);
  const real = await build(b);
  return { a, b, patched, real };
}

describe('build, when only the text of some sources changed', () => {
  it('brings their pages up to date in place, ending exactly as a real build', async () => {
    const { a, b, patched, real } = await twoSites((dir) => edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段内容，有改动。')));
    expect(patched.stdout).toMatch(/built public\/: 1 file\(s\) changed, 1 page\(s\) written, 1 source\(s\) parsed\n$/);
    expect(patched).toEqual(real);
    // The next build, with nothing changed, answers from the stamp the patch left
    // (asked first: opening the store below, even to read, changes its files).
    const again = await build(a);
    expect(again.stdout).toMatch(FROM_STAMP);
    expect(again.stderr).toBe(real.stderr);
    expect(await state(a, 'articles/a8.txt')).toEqual(await state(b, 'articles/a8.txt'));
    expect(await readFile(path.join(a, 'public', 'articles', 'a2-1.html'), 'utf8')).toContain('有改动');
    // The store knows the article changed then.
    expect(items(a)).toContainEqual(expect.objectContaining({ id: 'a2#1', last_changed: new Date(LATER).toISOString() }));
  });

  it('brings one article of a real roundup source up to date, and leaves the other article of that source alone', async () => {
    // The two sample sources: 000 holds a report and a roundup of district news; the feeds show only 003's article.
    const { a, b, patched, real } = await twoSites(
      (dir) => edit(dir, '000_9a07525249fe1bb1.txt', (t) => t.replace('千畦新苗绿', '千畦新苗翠')),
      'articles/003_451ae4ca37857149.txt',
      await samples(),
      1,
    );
    expect(patched.stdout).toMatch(/built public\/: 1 file\(s\) changed, 1 page\(s\) written, 1 source\(s\) parsed\n$/);
    expect(patched).toEqual(real);
    expect(await state(a, 'articles/003_451ae4ca37857149.txt')).toEqual(await state(b, 'articles/003_451ae4ca37857149.txt'));
    expect(await readFile(path.join(a, 'public', 'articles', '000_9a07525249fe1bb1-1.html'), 'utf8')).toContain('千畦新苗翠');
  });

  it('brings several sources up to date at once, and one saved unchanged costs no page', async () => {
    const { a, b, patched, real } = await twoSites(async (dir) => {
      await edit(dir, 'a1.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
      await edit(dir, 'a3.txt', (t) => t.replace('第二段内容。', '第二段也改了。'));
      await edit(dir, 'a4.txt', (t) => t); // saved, not changed
    });
    expect(patched.stdout).toMatch(/2 file\(s\) changed, 2 page\(s\) written, 2 source\(s\) parsed\n$/);
    expect(patched).toEqual(real);
    expect(await state(a, 'articles/a8.txt')).toEqual(await state(b, 'articles/a8.txt'));
  });

  it('keeps the exit code and the errors of a rejected source elsewhere', async () => {
    const [a, b] = [await site({ ...sources(), 'zz-empty.txt': '' }), await site({ ...sources(), 'zz-empty.txt': '' })];
    for (const dir of [a, b]) {
      expect((await build(dir, NOW)).code).toBe(1);
      await edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
    }
    await spoilShardOf(a, 'articles/a8.txt');
    const patched = await build(a);
    await forgetStamp(b);
    const real = await build(b);
    expect(patched.stdout).toMatch(/1 source\(s\) parsed\n$/);
    expect(patched).toEqual(real);
    expect(patched.code).toBe(1);
    expect(patched.stderr).toContain('articles/zz-empty.txt:1: error: empty file; skipped (empty)');
  });

  // Each of these changes what the rest of the site shows: a real build.
  const real = /built public\/: \d+ file\(s\) changed, \d+ page\(s\) written, 2 source\(s\) parsed\n$/;
  const cases: Array<[string, (dir: string) => Promise<void>]> = [
    ['an article the feeds show (one of the newest three)', (dir) => edit(dir, 'a7.txt', (t) => t.replace('第二段内容。', '第二段改了。'))],
    ['a title', (dir) => edit(dir, 'a2.txt', (t) => t.replace('第2条消息', '第2条新闻'))],
    ['a date', (dir) => edit(dir, 'a2.txt', (t) => t.replace('3月2日', '3月9日'))],
    ['a line where the article starts', (dir) => edit(dir, 'a2.txt', (t) => `\n${t}`)],
    ['a date, gone (the parser dates it otherwise)', (dir) => edit(dir, 'a2.txt', (t) => t.replace('3月2日，', ''))],
    ['the diagnostics (a control character in the text)', (dir) => edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段\u0007内容。'))],
    ['a second article in a source', (dir) => edit(dir, 'a2.txt', (t) => `${t}\n# 又一条\n\n3月2日，又一场活动。\n`)],
    [
      'a new source besides',
      async (dir) => {
        await edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
        await writeFiles(path.join(dir, 'articles'), { 'b.txt': '# 新的\n\n3月1日，新的活动。\n' });
        await utimes(path.join(dir, 'articles', 'b.txt'), minuteAgo(), minuteAgo());
      },
    ],
    [
      'the store, written by another command since',
      async (dir) => {
        await edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
        expect((await runCli(['subscribers', 'add', 'reader@example.com', '--confirmed'], { cwd: dir })).code).toBe(0);
      },
    ],
  ];
  for (const [what, change] of cases) {
    it(`builds for real when the change touches ${what}`, async () => {
      // The spoilt shard holds a1 (never edited here): a real build parses it again.
      const { a, b, patched, real: reference } = await twoSites(change, 'articles/a1.txt');
      expect(patched.stdout).toMatch(what === 'a new source besides' ? /\d+ source\(s\) parsed\n$/ : real);
      expect(patched.stdout).not.toMatch(/ 1 source\(s\) parsed\n$/);
      expect(patched.stderr).toBe(reference.stderr);
      expect(patched.code).toBe(reference.code);
      expect((await state(a, 'articles/a1.txt')).out).toEqual((await state(b, 'articles/a1.txt')).out);
    });
  }

  it('builds for real when the page record is not of these templates (edited by hand)', async () => {
    const { patched } = await twoSites(async (dir) => {
      await edit(dir, 'a2.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
      const cache = path.join(dir, 'data', 'cache');
      const file = path.join(cache, (await readdir(cache)).find((f) => f.startsWith('pages-'))!);
      const record = JSON.parse(await readFile(file, 'utf8')) as { renderKey: string };
      await writeFile(file, JSON.stringify({ ...record, renderKey: 'other' }));
    }, 'articles/a1.txt');
    // Every page rendered again: the record said they were rendered with other templates.
    expect(patched.stdout).toMatch(/9 page\(s\) written, 2 source\(s\) parsed\n$/);
  });

  it('builds for real when the source is one the last build rejected for another source\'s article id, even an identical copy', async () => {
    const original = '---\nid: same\n---\n# 同一篇\n\n3月1日，原来的正文。\n';
    const files = { ...sources(), 'dup-a.md': original, 'dup-b.md': original };
    const { a, b, patched, real: reference } = await twoSites((dir) => edit(dir, 'dup-b.md', (t) => t.replace('原来的正文', '副本改过的正文')), 'articles/a1.txt', files);
    expect(patched.stderr).toContain('articles/dup-b.md:4: error: article id "same" is already used by articles/dup-a.md:4; file skipped (duplicate-id)');
    expect(patched.stdout).toMatch(real);
    expect([patched.stderr, patched.code]).toEqual([reference.stderr, reference.code]);
    expect((await state(a, 'articles/a1.txt')).out).toEqual((await state(b, 'articles/a1.txt')).out);
    expect(await readFile(path.join(a, 'public', 'articles', 'same.html'), 'utf8')).not.toContain('副本改过的正文');
    expect(items(a)).toEqual(items(b));
  });

  it('copies of a site do not patch each other: a site moved elsewhere builds for real', async () => {
    const dir = await site();
    expect((await build(dir, NOW)).code).toBe(0);
    const moved = `${dir}-moved`;
    await cp(dir, moved, { recursive: true, preserveTimestamps: true });
    await edit(moved, 'a2.txt', (t) => t.replace('第二段内容。', '第二段改了。'));
    await spoilShardOf(moved, 'articles/a1.txt');
    expect((await build(moved)).stdout).toMatch(real);
  });
});
