// Faults of the output folder, through the real CLI: a page the file system
// refuses rejects its source alone; a folder that cannot be written stops
// the build with one line and exit 69, never a stack trace.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliOptions, ROOT, runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';

async function workspace(articles: Record<string, string>) {
  const dir = await tempDir('broadsheet-output-');
  await writeFiles(path.join(dir, 'articles'), articles);
  const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates') };
  const cli = (args: string[], options: CliOptions = {}) => runCli(['build', '--now', NOW, ...args], { cwd: dir, env, ...options });
  return { dir, cli };
}

const titles = async (out: string) => JSON.parse(await readFile(path.join(out, 'feed.json'), 'utf8')).items.map((i: { title: string }) => i.title);

/** The one line a failed build prints, and nothing that looks like a stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/**
 * Another user than the test's when it runs as root (for whom a read-only
 * mode stops nothing): the build then runs as `nobody`, in folders it may use.
 */
async function asSomeoneElse(dir: string): Promise<CliOptions> {
  if (process.getuid?.() !== 0) return {};
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await chmod(path.join(dir, 'data'), 0o777);
  return { user: { uid: 65534, gid: 65534 } };
}

describe('writing the output folder', () => {
  it('rejects only the source whose page has a folder in its place', async () => {
    const { dir, cli } = await workspace({ 'a.txt': '# 甲\n\n正文。\n', 'b.txt': '# 乙\n\n正文。\n' });
    await mkdir(path.join(dir, 'public', 'articles', 'b-1.html'), { recursive: true });
    const r = await cli([]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('articles/b.txt:1: error: cannot write the page of article "b#1" (articles/b-1.html: EISDIR); file skipped (page)');
    expect(r.stdout).toMatch(/^2 sources: 1 article, 1 rejected; 1 error/);
    expect(await titles(path.join(dir, 'public'))).toEqual(['甲']);
  });

  it('rejects only the source whose page name is too long for the output path', async () => {
    // An output folder nested so deep that a 200-byte page name passes the
    // 4,096-byte limit on a path, while short names still fit.
    const long = `长${'很长的文件名'.repeat(10)}`;
    const { dir, cli } = await workspace({ 'a.txt': '# 甲\n\n正文。\n', [`${long}.txt`]: '# 乙\n\n正文。\n' });
    let out = path.join(dir, 'out');
    while (out.length < 3900) out = path.join(out, 'd'.repeat(Math.min(200, 3900 - out.length)));
    const r = await cli(['--out', out]);
    expect(r.code, r.stderr).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('error:'))!;
    expect(line).toMatch(new RegExp(`^articles/${long}\\.txt:1: error: cannot write the page of article .*ENAMETOOLONG\\); file skipped \\(page\\)$`));
    expect(await titles(out)).toEqual(['甲']);
    expect(await readdir(path.join(out, 'articles'))).toEqual(['a-1.html']);
  });

  it('stops with one line and exit 69 when the output folder is read-only, and writes nothing', async () => {
    const { dir, cli } = await workspace({ 'a.txt': '# 甲\n\n正文。\n' });
    const options = await asSomeoneElse(dir);
    const out = path.join(dir, 'public');
    await mkdir(out);
    await chmod(out, 0o555);
    const r = await cli([], options);
    expect(r.code).toBe(69);
    expect(oneLine(r.stderr)).toMatch(/^public: error: cannot write the output folder: permission denied \(EACCES\)$/);
    expect(await readdir(out)).toEqual([]);
  });

  it('stops with one line and exit 69 when a file stands where the output folder should be', async () => {
    const { dir, cli } = await workspace({ 'a.txt': '# 甲\n\n正文。\n' });
    await writeFile(path.join(dir, 'public'), 'not a folder');
    const r = await cli([]);
    expect(r.code).toBe(69);
    expect(oneLine(r.stderr)).toBe('public: error: the output folder is not a folder');
    const under = await cli(['--out', 'public/site']);
    expect(under.code).toBe(69);
    expect(oneLine(under.stderr)).toBe('public/site: error: cannot use the output folder: a part of the path is not a folder (ENOTDIR)');
  });

  it('writes a new output folder aside and moves it into place, clearing what killed builds left', async () => {
    const { dir, cli } = await workspace({ 'a.txt': '# 甲\n\n正文。\n' });
    // A folder left by a build whose process is gone (this pid has just exited).
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await mkdir(path.join(dir, `.public.building-${gone}`, 'articles'), { recursive: true });
    const r = await cli([]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['articles', 'data', 'public']);
    expect(await titles(path.join(dir, 'public'))).toEqual(['甲']);
  });

  it('stops with one line and exit 69 when the disk fills up, leaving no half-built site', async () => {
    // A 2 MB tmpfs of its own (a user and mount namespace: no privileges needed) for 200 pages of 10 KB.
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`a${i}.txt`] = `# 标题${i}\n\n${'正文很长。'.repeat(400)}\n`;
    const { dir, cli } = await workspace(files);
    const disk = path.join(dir, 'disk');
    await mkdir(disk);
    const mount = `mount -t tmpfs -o size=2m tmpfs ${disk} && exec "$0" "$@"`;
    const r = await cli(['--out', path.join(disk, 'public')], { prefix: ['unshare', '-rm', 'sh', '-c', mount] });
    expect(r.code, r.stderr).toBe(69);
    expect(oneLine(r.stderr)).toMatch(/: error: cannot write the output folder: no space left on the device \(ENOSPC\)$/);
    // The mount is gone with its namespace; what matters is that the build said so and stopped.
    expect(r.stdout).toBe('');
  });
});
