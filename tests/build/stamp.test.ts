// `build` answering from its stamp (publish/stamp.ts) when nothing it reads
// changed, through the real binary, and building for real whenever
// something did. A build that answers from the stamp reads no source and no
// parse cache: with the cache's manifest deleted, a real build parses every
// source again ("2 source(s) parsed") where the stamp says 0. That is how
// these tests tell the two apart.
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';
import { sha256 } from '../../src/corpus/cache.ts';
import { clearStamp, recordStamp, sinceLastBuild, takeReading } from '../../src/publish/stamp.ts';
import { samples } from '../helpers/site.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';
const REAL = /built public\/: \d+ file\(s\) changed, \d+ page\(s\) written, [1-9]\d* source\(s\) parsed\n$/;
const FROM_STAMP = /built public\/: 0 file\(s\) changed, 0 page\(s\) written, 0 source\(s\) parsed\n$/;

async function site(): Promise<string> {
  const dir = await tempDir('broadsheet-stamp-');
  await writeFiles(path.join(dir, 'articles'), await samples());
  // Sources copied a moment ago are "racily clean": date them a minute back, as files at rest are.
  const past = new Date(Date.now() - 60_000);
  for (const f of await readdir(path.join(dir, 'articles'))) await utimes(path.join(dir, 'articles', f), past, past);
  await writeFile(path.join(dir, 'broadsheet.config.yaml'), `site:\n  baseUrl: https://news.example.com\npaths:\n  templates: ${path.join(dir, 'templates')}\n`);
  // The templates are the site's own copy, so a test can touch them; dated back like the sources.
  await cp(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  const dateBack = async (folder: string): Promise<void> => {
    for (const e of await readdir(folder, { withFileTypes: true })) {
      const p = path.join(folder, e.name);
      if (e.isDirectory()) await dateBack(p);
      else await utimes(p, past, past);
    }
  };
  await dateBack(path.join(dir, 'templates'));
  return dir;
}

const build = (dir: string, ...args: string[]) => runCli(['build', '--now', NOW, ...args], { cwd: dir });

/** Forgets the parse cache: a real build then parses every source again. */
async function forgetParses(dir: string): Promise<void> {
  await rm(path.join(dir, 'data', 'cache', 'manifest'), { recursive: true });
}

describe('build stamp', () => {
  it('answers a build with nothing changed from the stamp, saying exactly what a real build says', async () => {
    const dir = await site();
    expect((await build(dir)).code).toBe(0);
    // A real build with nothing to do (the stamp removed first) …
    for (const f of await readdir(path.join(dir, 'data', 'cache'))) if (f.startsWith('build-')) await rm(path.join(dir, 'data', 'cache', f));
    const real = await build(dir);
    expect(real.stdout).toMatch(/0 source\(s\) parsed\n$/);
    expect(real.stderr).toMatch(/: info: /);
    // … and one from the stamp say the same, to the byte.
    await forgetParses(dir);
    const again = await build(dir);
    expect(again.stdout).toMatch(FROM_STAMP);
    expect(again).toEqual(real);
  });

  it('builds for real when a source changes, even keeping its size', async () => {
    const dir = await site();
    await build(dir);
    const file = path.join(dir, 'articles', (await readdir(path.join(dir, 'articles'))).sort()[0]!);
    const text = await readFile(file, 'utf8');
    const before = await stat(file);
    await writeFile(file, text.replace('。', '！')); // same byte length in UTF-8
    const later = new Date(before.mtimeMs + 2000);
    await utimes(file, later, later);
    const r = await build(dir);
    expect(r.stdout).toMatch(/1 source\(s\) parsed\n$/);
  });

  it('builds for real when a template changes, and writes the pages again', async () => {
    const dir = await site();
    await build(dir);
    const page = path.join(dir, 'templates', 'partials', 'content.liquid');
    await writeFile(page, (await readFile(page, 'utf8')) + '\n<!-- 改版 -->\n');
    const r = await build(dir);
    expect(r.stdout).not.toMatch(FROM_STAMP);
    const pages = await readdir(path.join(dir, 'public', 'articles'));
    expect(await readFile(path.join(dir, 'public', 'articles', pages[0]!), 'utf8')).toContain('改版');
  });

  it('builds for real when a page of the output is deleted, and puts it back', async () => {
    const dir = await site();
    await build(dir);
    const pages = await readdir(path.join(dir, 'public', 'articles'));
    await rm(path.join(dir, 'public', 'articles', pages[0]!));
    await rm(path.join(dir, 'public', 'rss.xml'));
    const r = await build(dir);
    expect(r.stdout).not.toMatch(FROM_STAMP);
    expect(existsSync(path.join(dir, 'public', 'articles', pages[0]!))).toBe(true);
    expect(existsSync(path.join(dir, 'public', 'rss.xml'))).toBe(true);
  });

  it('builds for real after another command wrote to the store', async () => {
    const dir = await site();
    await build(dir);
    const added = await runCli(['subscribers', 'add', 'reader@example.com', '--confirmed'], { cwd: dir });
    expect(added.code).toBe(0);
    await forgetParses(dir);
    expect((await build(dir)).stdout).toMatch(REAL);
  });

  it('builds for real when the settings change', async () => {
    const dir = await site();
    await build(dir);
    await forgetParses(dir);
    const config = path.join(dir, 'broadsheet.config.yaml');
    await writeFile(config, (await readFile(config, 'utf8')) + 'feed:\n  itemLimit: 1\n');
    const r = await build(dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(REAL);
  });

  it('writes no stamp for a reading it cannot trust: a source modified at the moment of the build', async () => {
    const dir = await site();
    const file = path.join(dir, 'articles', (await readdir(path.join(dir, 'articles'))).sort()[0]!);
    // A timestamp ahead of the clock is always "just now" to the stamp.
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(file, ahead, ahead);
    await build(dir);
    await forgetParses(dir);
    expect((await build(dir)).stdout).toMatch(REAL);
  });

  it('keeps the exit code and the errors of rejected sources', async () => {
    const dir = await site();
    await writeFiles(path.join(dir, 'articles'), { 'zz-empty.txt': '' });
    const past = new Date(Date.now() - 60_000);
    await utimes(path.join(dir, 'articles', 'zz-empty.txt'), past, past);
    const first = await build(dir);
    expect(first.code).toBe(1);
    await forgetParses(dir);
    const again = await build(dir);
    expect(again.stdout).toMatch(FROM_STAMP);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(first.stderr);
    expect(again.stderr).toContain('articles/zz-empty.txt:1: error: empty file; skipped (empty)');
  });

  it('leaves a data folder it cannot write to the real build, which says so in one line (exit 69)', async () => {
    const dir = await site();
    await build(dir);
    const file = path.join(dir, 'articles', (await readdir(path.join(dir, 'articles'))).sort()[0]!);
    await writeFile(file, (await readFile(file, 'utf8')) + '\n补充一段。\n');
    const past = new Date(Date.now() - 60_000);
    await utimes(file, past, past);
    // The data folder read-only (a user and mount namespace of its own: no privileges needed).
    const data = path.join(dir, 'data');
    const mount = `mount --bind ${data} ${data} && mount -o remount,bind,ro ${data} && exec "$0" "$@"`;
    const r = await runCli(['build', '--now', NOW], { cwd: dir, prefix: ['unshare', '-rm', 'sh', '-c', mount] });
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr.trim()).toMatch(/^data\/broadsheet\.db: error: cannot open the SQLite database: [^\n]+$/);
  });

  it('keeps no stamp for a store it cannot tell apart by its files (PostgreSQL)', async () => {
    const dir = await site();
    await mkdir(path.join(dir, 'public'));
    const inputs = (storeFiles: string[] | null) => ({
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      templates: path.join(dir, 'templates'),
      cacheDir: path.join(dir, 'cache'),
      settings: { any: 'thing' },
      storeFiles,
    });
    const outcome = { stdout: 'said\n', stderr: '', exit: 0 };
    await recordStamp(takeReading(inputs(null)), outcome);
    expect(sinceLastBuild(takeReading(inputs(null)))).toBeNull();
    // The same with a store file: the stamp answers.
    await recordStamp(takeReading(inputs([path.join(dir, 'db')])), outcome);
    expect(sinceLastBuild(takeReading(inputs([path.join(dir, 'db')])))).toEqual({
      outcome: { ...outcome, stderr: Buffer.from(outcome.stderr), stderrHash: sha256(Buffer.from(outcome.stderr)) },
      base: null,
      changed: [],
      unchanged: true,
    });
  });

  it('says the stderr of the last build again from its file, not a copy (a patch keeps it), and still checks it', async () => {
    const dir = await site();
    await mkdir(path.join(dir, 'public'));
    const inputs = {
      articles: path.join(dir, 'articles'),
      out: path.join(dir, 'public'),
      templates: path.join(dir, 'templates'),
      cacheDir: path.join(dir, 'cache'),
      settings: { any: 'thing' },
      storeFiles: [path.join(dir, 'db')],
    };
    await recordStamp(takeReading(inputs), { stdout: 'said\n', stderr: 'a.txt:1: info: x\n', exit: 0 });
    const stderrFile = path.join(dir, 'cache', (await readdir(path.join(dir, 'cache'))).find((f) => f.endsWith('.stderr'))!);
    const before = await stat(stderrFile);
    const since = sinceLastBuild(takeReading(inputs))!;
    clearStamp(inputs);
    expect(sinceLastBuild(takeReading(inputs))).toBeNull();
    await recordStamp(takeReading(inputs), since.outcome);
    expect((await stat(stderrFile)).mtimeMs).toBe(before.mtimeMs);
    expect(sinceLastBuild(takeReading(inputs))?.outcome.stderr.toString()).toBe('a.txt:1: info: x\n');
    // A stderr file changed behind the stamp's back is caught by its hash.
    await writeFile(stderrFile, 'other\n');
    expect(sinceLastBuild(takeReading(inputs))).toBeNull();
  });
});
