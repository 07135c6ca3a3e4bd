// `broadsheet check` through the real binary.
import iconv from 'iconv-lite';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

const NOW = '2026-11-25T12:00:00+08:00';

describe('broadsheet check', () => {
  it('reports every bad source as path:line: severity and still parses the others (exit 1)', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'articles/a-good.txt': '# 好标题\n\n本报讯(记者 张三)3月29日,会议举行。\n',
      'articles/b-gbk.txt': iconv.encode('# 国标编码\r\n\r\n正文。\r\n', 'gb18030'),
      'articles/c-empty.txt': '',
      'articles/d-image.md': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      'articles/e-control.txt': '# 标题\n\n正文\u0007。\n',
      'articles/f-frontmatter.md': '---\ntitle: [unclosed\n---\n正文。\n',
      'articles/.hidden.txt': '# 隐藏\n\n不应读取。\n',
      'articles/notes.docx': 'ignored',
      'articles/sub/g-nested.md': '# 子目录\n\n正文。\n',
    });
    const r = await runCli(['check', '--now', NOW], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain('articles/c-empty.txt:1: error: empty file; skipped (empty)');
    expect(lines.some((l) => l.startsWith('articles/d-image.md:1: error: binary file (PNG image)'))).toBe(true);
    expect(lines.some((l) => /^articles\/e-control\.txt:3: warning: removed 1 control character/.test(l))).toBe(true);
    expect(lines.some((l) => /^articles\/f-frontmatter\.md:2: error: invalid front matter/.test(l))).toBe(true);
    expect(r.stderr).not.toContain('hidden');
    expect(r.stdout).toBe('7 sources: 4 articles, 3 rejected; 3 errors, 2 warnings, 3 infos\n');
  });

  it('prints the documented JSON shape with --json', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'src/a.txt': '引题\n\n# 标题\n\n本报讯(记者 张三)3月29日,会议举行。\n\n(责任编辑:王芳)\n' });
    const r = await runCli(['check', '--json', '--articles', 'src', '--now', NOW], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['articles', 'diagnostics']);
    expect(Object.keys(out.articles[0])).toEqual([
      'id', 'source', 'line', 'kicker', 'title', 'titleDerived', 'subtitle', 'byline', 'dateline', 'date',
      'editor', 'author', 'tags', 'summary', 'paragraphs', 'sections',
    ]);
    expect(out.articles[0]).toMatchObject({
      id: 'a#1',
      source: path.join('src', 'a.txt'),
      line: 3,
      kicker: '引题',
      byline: { outlet: null, reporters: ['张三'], contributors: [] },
      dateline: '3月29日',
      date: '2026-03-29T00:00:00+08:00',
      editor: '王芳',
    });
    expect(Object.keys(out.diagnostics[0])).toEqual(['source', 'line', 'severity', 'code', 'message']);
  });

  it('reads the folder from BROADSHEET_ARTICLES', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'elsewhere/x.md': '# 标题\n\n正文。\n' });
    const r = await runCli(['check', '--now', NOW], { cwd: dir, env: { BROADSHEET_ARTICLES: 'elsewhere' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 source: 1 article, 0 rejected/);
  });

  it('rejects a duplicate front-matter id naming both files', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'articles/a.md': '---\nid: same\n---\n# 甲\n\n正文。\n',
      'articles/b.md': '---\nid: same\n---\n# 乙\n\n正文。\n',
    });
    const r = await runCli(['check', '--now', NOW], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('articles/b.md:4: error: article id "same" is already used by articles/a.md:4; file skipped');
  });

  it('exits 2 with a clear message when the folder is missing', async () => {
    const dir = await tempDir();
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('articles: error: the articles folder does not exist');
  });

  it('exits 2 naming the config field and line of a bad config value', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'broadsheet.config.yaml': 'site:\n  title: 测试\n  timeZone: Mars/Olympus\n',
      'articles/a.txt': '正文。\n',
    });
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('broadsheet.config.yaml:3: error: site.timeZone: must be an IANA time zone');
  });

  it('exits 2 for an unknown config field and a bad --now', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'broadsheet.config.yaml': 'site:\n  titel: x\n', 'articles/a.txt': '正文。\n' });
    const bad = await runCli(['check'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('site: unknown field(s) "titel"');
    const now = await runCli(['check', '--now', 'yesterday', '--config', '/dev/null'], { cwd: dir });
    expect(now.code).toBe(2);
    expect(now.stderr).toContain('--now: "yesterday" is not an ISO 8601 date-time');
  });

  it('dates sources the way build does: by when a build first saw them', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'articles/a.txt': '没有标题也没有日期的正文。\n' });
    const env = { BROADSHEET_TEMPLATES: path.join(ROOT, 'templates') };
    const before = JSON.parse((await runCli(['check', '--json', '--now', NOW], { cwd: dir, env })).stdout);
    expect(before.articles[0].date).toBe(NOW);
    await expect(readdir(path.join(dir, 'data'))).rejects.toThrow(); // check creates no database
    expect((await runCli(['build', '--now', '2026-11-20T09:00:00+08:00'], { cwd: dir, env })).code).toBe(0);
    const after = JSON.parse((await runCli(['check', '--json', '--now', NOW], { cwd: dir, env })).stdout);
    expect(after.articles[0].date).toBe('2026-11-20T09:00:00+08:00');
  });

  it('has --help', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: broadsheet check');
    expect(r.stdout).toContain('--articles <dir>');
  });
});
