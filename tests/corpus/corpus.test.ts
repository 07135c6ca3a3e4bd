// The corpus stage is the one door every command reads the articles through:
// check, build, digest and send --dry-run agree on what is published, and
// nothing outside the articles folder is ever read.
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';
import { samples } from '../helpers/site.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';

/** Sources that stress the parser and the feeds (markup, CDATA ends, controls, no headline, no date). */
const HOSTILE = {
  'h-markup.md': '---\ntags: ["a<b&c\\"d"]\nauthor: "A & <B>"\n---\n# <script>alert("x")</script> & ]]> 又 ]]> “引号”\n\n正文 <img src=x onerror=alert(1)> ]]> &lt;。\n',
  'h-control.txt': '# 控制\u0007字符\n\n正文\u0001。\n',
  'h-long.txt': `# ${'很长的标题'.repeat(60)}\n\n正文。\n`,
  'h-nodate.txt': '没有日期的正文。\n',
  'sub/h-gbk.txt': Buffer.from([0x23, 0x20, 0xb9, 0xfa, 0xb1, 0xea, 0x0a, 0x0a, 0xd5, 0xfd, 0xce, 0xc4, 0xa1, 0xa3, 0x0a]), // "# 国标\n\n正文。" in GBK
};

async function workspace(articles: Record<string, string | Uint8Array>) {
  const dir = await tempDir('broadsheet-corpus-');
  await writeFiles(path.join(dir, 'articles'), articles);
  const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates'), BROADSHEET_BASE_URL: 'https://news.example.com' };
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  return { dir, cli };
}

type Listed = { id: string; title: string; date: string };

/** `  - 2026-03-31T00:00:00+08:00 标题 (id)` lines, as digest and send --dry-run print them. */
function listed(stdout: string): Listed[] {
  return [...stdout.matchAll(/^ {2}- (\S+) (.*) \(([^()]*)\)$/gm)].map((m) => ({ date: m[1]!, title: m[2]!, id: m[3]! }));
}

const byId = (a: Listed, b: Listed) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('the corpus stage', () => {
  it('check, build, digest and send --dry-run agree on the published articles', async () => {
    const { dir, cli } = await workspace({ ...(await samples()), ...HOSTILE });
    const check = await cli('check', '--json', '--now', NOW);
    const fromCheck: Listed[] = JSON.parse(check.stdout).articles.map((a: Listed) => ({ id: a.id, title: a.title, date: a.date }));
    expect(fromCheck.length).toBeGreaterThanOrEqual(8);

    // A dry run and the preview first, while no store exists: they look and change nothing.
    const dryRun = await cli('send', '--dry-run', '--now', NOW);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const digest = await cli('digest', '--now', NOW);
    expect(digest.code, digest.stderr).toBe(0);
    const build = await cli('build', '--now', NOW);
    expect(build.code, build.stderr).toBe(0);
    const feed = JSON.parse(await readFile(path.join(dir, 'public', 'feed.json'), 'utf8'));
    const fromBuild: Listed[] = feed.items.map((i: { id: string; title: string; date_published: string }) => ({
      id: decodeURIComponent(i.id.replace(/^tag:[^:]+:/, '')),
      title: i.title,
      date: i.date_published,
    }));

    const expected = [...fromCheck].sort(byId);
    expect([...fromBuild].sort(byId)).toEqual(expected);
    expect(listed(dryRun.stdout).sort(byId)).toEqual(expected);
    expect(listed(digest.stdout).sort(byId)).toEqual(expected);
    // Newest first wherever order is shown.
    expect(listed(dryRun.stdout).map((a) => a.id)).toEqual(fromBuild.map((a) => a.id));
  });

  it('a case-only clash of front-matter ids fails check and build alike, naming both files', async () => {
    const { cli } = await workspace({
      'a.md': '---\nid: Foo\n---\n# 甲\n\n正文。\n',
      'b.md': '---\nid: foo\n---\n# 乙\n\n正文。\n',
    });
    for (const command of ['check', 'build']) {
      const r = await cli(command, '--now', NOW);
      expect(r.code, command).toBe(1);
      const line = r.stderr.split('\n').find((l) => l.includes('duplicate-page'))!;
      expect(line, command).toMatch(/^articles\/b\.md:4: error: .*articles\/a\.md:4/);
    }
  });

  it('refuses links leading outside the articles folder, follows those inside, and survives a folder loop', async () => {
    const dir = await tempDir('broadsheet-links-');
    const secret = 'TOP-SECRET-signing-key-0123456789abcdef';
    await writeFiles(dir, {
      'data/secret': `${secret}\n`,
      'articles/real.txt': '# 真的\n\n正文。\n',
      'articles/inner/target.md': '# 内部\n\n内部正文。\n',
    });
    await symlink(path.join(dir, 'data', 'secret'), path.join(dir, 'articles', 's.txt'));
    await symlink('/etc/passwd', path.join(dir, 'articles', 'p.md'));
    await symlink('inner/target.md', path.join(dir, 'articles', 'alias.md'));
    await symlink('.', path.join(dir, 'articles', 'loop'));
    await symlink(path.join(dir, 'data'), path.join(dir, 'articles', 'outside-folder'));
    const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates') };
    const r = await runCli(['build', '--now', NOW], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('articles/s.txt:1: error: is a symbolic link to a file outside the articles folder; skipped');
    expect(r.stderr).toContain('articles/p.md:1: error: is a symbolic link to a file outside the articles folder; skipped');
    expect(r.stderr).not.toMatch(/ELOOP|internal error/);
    expect(r.stdout).toMatch(/^5 sources: 3 articles, 2 rejected/);
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push(await readFile(p, 'utf8'));
      }
    };
    await walk(path.join(dir, 'public'));
    const published = files.join('\n');
    expect(published).not.toContain(secret);
    expect(published).not.toContain('root:x:0');
    expect(published).toContain('内部正文');
  });

  it('warns about an empty articles folder, and publishes empty feeds', async () => {
    const { dir, cli } = await workspace({});
    await mkdir(path.join(dir, 'articles'), { recursive: true });
    for (const command of ['check', 'build']) {
      const r = await cli(command);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('articles:0: warning: no article sources (*.txt, *.md) in the articles folder; the feeds and pages are published empty (empty)');
    }
    const rss = await readFile(path.join(dir, 'public', 'rss.xml'), 'utf8');
    expect(rss).toContain('<channel>');
    expect(rss).not.toContain('<item>');
    // One source, and the warning is gone.
    await writeFile(path.join(dir, 'articles', 'a.txt'), '# 标题\n\n正文。\n');
    expect((await cli('check')).stderr).not.toContain('(empty)');
  });

  it('keeps check from writing anything: no database, no cache', async () => {
    const { dir, cli } = await workspace(await samples());
    expect((await cli('check', '--now', NOW)).code).toBe(0);
    expect(await readdir(dir)).toEqual(['articles']);
    // After a build, check still adds nothing to the cache, though a source is new.
    await cli('build', '--now', NOW);
    await writeFile(path.join(dir, 'articles', 'new.txt'), '# 新\n\n正文。\n');
    const cache = path.join(dir, 'data', 'cache');
    const snapshot = async () =>
      Promise.all(
        (await readdir(cache, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => path.relative(cache, path.join(e.parentPath, e.name)))
          .sort()
          .map(async (f) => [f, await readFile(path.join(cache, f), 'utf8')]),
      );
    const before = await snapshot();
    expect(before.map(([f]) => path.dirname(f!))).toContain('manifest');
    const check = await cli('check', '--now', NOW);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^3 sources: 4 articles/);
    expect(await snapshot()).toEqual(before);
  });
});
