import { describe, expect, it } from 'vitest';
import { parse } from '../helpers/parse.ts';

describe('front matter', () => {
  it('overrides what the parser infers', () => {
    const { articles, diagnostics } = parse(
      [
        '---',
        'title: 覆盖的标题',
        'date: 2026-03-30 08:30',
        'author: 编辑部',
        'tags: [要闻, 晋城]',
        'link: https://example.com/a',
        'id: lan-jincheng',
        'summary: 一句话摘要。',
        'lang: zh-CN',
        '---',
        '# 原标题',
        '',
        '本报讯(记者 陈俊琦)3月29日至31日,省委书记调研。',
        '',
        '## 第二篇',
        '',
        '正文。',
      ].join('\n'),
    );
    expect(diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(articles[0]).toMatchObject({
      id: 'lan-jincheng',
      title: '覆盖的标题',
      date: '2026-03-30T08:30:00+08:00',
      dateSource: 'front-matter',
      author: '编辑部',
      tags: ['要闻', '晋城'],
      link: 'https://example.com/a',
      summary: '一句话摘要。',
      lang: 'zh-CN',
      line: 11,
    });
    // The id, tags, language and date hold for the file's later articles too; title and summary do not.
    expect(articles[1]).toMatchObject({ id: 'lan-jincheng#2', title: '第二篇', tags: ['要闻', '晋城'], lang: 'zh-CN' });
    expect(articles[1]!.date).toBe('2026-03-30T08:30:00+08:00');
  });

  it('accepts an RFC 3339 date with its own offset and shows it in the site zone', () => {
    const { articles } = parse('---\ndate: 2026-03-30T00:00:00Z\n---\n# 标题\n\n正文。\n');
    expect(articles[0]!.date).toBe('2026-03-30T08:00:00+08:00');
  });

  it('reports invalid YAML with its line and skips the file', () => {
    const { articles, diagnostics } = parse('---\ntitle: ok\ntags: [a, b\n---\n# 标题\n\n正文。\n');
    expect(articles).toEqual([]);
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'front-matter', line: expect.any(Number) }),
    ]);
    expect(diagnostics[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('names the field and line of a wrongly typed value', () => {
    const { articles, diagnostics } = parse('---\ntitle: 标题\nlink: not a url\n---\n正文。\n');
    expect(articles).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 3 });
    expect(diagnostics[0]!.message).toContain('link');
  });

  it('reports a date that is not a date', () => {
    const { articles, diagnostics } = parse('---\ndate: 三月\n---\n正文。\n');
    expect(articles).toEqual([]);
    expect(diagnostics[0]!.message).toContain('date');
  });

  it('reports front matter that is never closed', () => {
    const { diagnostics } = parse('---\ntitle: 标题\n\n正文。\n');
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 1, code: 'front-matter' });
  });

  it('warns about unknown keys and goes on', () => {
    const { articles, diagnostics } = parse('---\ntitel: 错字\n---\n# 标题\n\n正文。\n');
    expect(articles).toHaveLength(1);
    expect(diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', line: 2, code: 'front-matter' }));
  });

  it('counts lines from the top of the file', () => {
    const { diagnostics } = parse('---\ntitle: 标题\n---\n\n正文\u0001。\n');
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'control-character', line: 5 }));
  });

  it('rejects a "billion laughs" of aliases as invalid front matter instead of expanding it', () => {
    const lines = ['---', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    }
    const { articles, diagnostics } = parse([...lines, '---', '# 标题', '', '正文。'].join('\n'));
    expect(articles).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 2, code: 'front-matter' });
    expect(diagnostics[0]!.message).toMatch(/^invalid front matter: .*alias/i);
  });
});
