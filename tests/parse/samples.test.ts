// The newsroom's two real sources, pinned field by field. These files are the
// user's input and must keep parsing this way.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/parse/input.ts';
import { articleJson } from '../../src/cli/commands/check.ts';
import { ROOT } from '../helpers/cli.ts';

const FIRST_SEEN = '2026-11-25T12:00:00+08:00';

async function sample(name: string) {
  const bytes = await readFile(path.join(ROOT, 'articles', name));
  return parseInput(
    { source: `articles/${name}`, stem: name.replace(/\.txt$/, ''), bytes, size: bytes.length, firstSeen: FIRST_SEEN },
    { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 2 * 1024 * 1024 },
  );
}

describe('sample 000: a report and a district roundup', () => {
  it('yields two articles and no errors', async () => {
    const parsed = await sample('000_9a07525249fe1bb1.txt');
    expect(parsed.rejected).toBe(false);
    expect(parsed.articles.map((a) => a.id)).toEqual(['000_9a07525249fe1bb1#1', '000_9a07525249fe1bb1#2']);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('reads the report: kicker, headline, byline, dateline, date', async () => {
    const [report] = (await sample('000_9a07525249fe1bb1.txt')).articles;
    expect(report!.kicker).toBe('蓝佛安在晋城调研时强调');
    expect(report!.title).toBe('巩固良好态势 发挥比较优势 扩大对外开放 为全省加快推动高质量发展贡献更大力量');
    expect(report!.titleDerived).toBe(false);
    expect(report!.subtitle).toBeNull();
    expect(report!.line).toBe(5);
    expect(report!.byline).toEqual({
      outlet: '山西日报',
      reporters: ['陈俊琦'],
      contributors: [],
      text: '本报讯\uFF08山西日报记者 陈俊琦\uFF09',
    });
    expect(report!.dateline).toBe('3月29日至31日');
    expect(report!.date).toBe('2026-03-31T00:00:00+08:00');
    expect(report!.author).toBe('陈俊琦');
    expect(report!.editor).toBeNull();
  });

  it('joins the three paragraphs the page layout split, leaving seven', async () => {
    const parsed = await sample('000_9a07525249fe1bb1.txt');
    const report = parsed.articles[0]!;
    expect(report.paragraphs).toHaveLength(7);
    expect(report.paragraphs[0]!.startsWith('3月29日至31日\uFF0C省委书记蓝佛安')).toBe(true);
    expect(report.paragraphs[2]).toContain('蓝佛安来到沁河之畔');
    expect(report.paragraphs[4]).toContain('座谈会\uFF0C听取晋城市工作情况汇报');
    expect(report.paragraphs[5]).toContain('要加快推进高速公路');
    expect(report.paragraphs.every((p) => /[。”]$/.test(p))).toBe(true);
    const joins = parsed.diagnostics.filter((d) => d.code === 'page-break');
    expect(joins.map((d) => [d.line, d.severity])).toEqual([
      [11, 'info'],
      [17, 'info'],
      [21, 'info'],
    ]);
  });

  it('reads the roundup: its ## title, twelve places in order, the editor', async () => {
    const roundup = (await sample('000_9a07525249fe1bb1.txt')).articles[1]!;
    expect(roundup.title).toBe('进一步强化省会龙头意识 更好发挥“五个引领带动力作用”');
    expect(roundup.line).toBe(27);
    expect(roundup.sections.map((s) => s.heading)).toEqual([
      '小店区', '尖草坪区', '古交市', '娄烦县', '迎泽区', '万柏林区',
      '清徐县', '综改示范区', '杏花岭区', '晋源区', '阳曲县', '中北高新区',
    ]);
    expect(roundup.sections.every((s) => s.paragraphs.length === 1)).toBe(true);
    expect(roundup.paragraphs).toEqual([]);
    expect(roundup.editor).toBe('李杰华');
    expect(roundup.editorCredit).toBe('\uFF08以上由李杰华编辑整理\uFF09');
    expect(roundup.sections.at(-1)!.paragraphs[0]).not.toContain('编辑整理');
    // Its newest item is 4月1日 (综改示范区).
    expect(roundup.date).toBe('2026-04-01T00:00:00+08:00');
  });

  it('restores full-width punctuation next to Han text but not inside 1,000-style numbers or codes', async () => {
    const roundup = (await sample('000_9a07525249fe1bb1.txt')).articles[1]!;
    const text = roundup.sections.map((s) => s.paragraphs.join('')).join('');
    expect(text).toContain('区委常委会\uFF08扩大\uFF09会议');
    expect(text).toContain('B-2682波音737-700飞机');
    expect(text).not.toMatch(/[,;:!?()]/);
  });
});

describe('sample 003: a report body without its head', () => {
  it('derives the title from the first sentence and keeps six paragraphs', async () => {
    const parsed = await sample('003_451ae4ca37857149.txt');
    expect(parsed.articles).toHaveLength(1);
    const a = parsed.articles[0]!;
    expect(a.id).toBe('003_451ae4ca37857149#1');
    expect(a.title).toBe('产业链和专业镇是太原工业高质量发展的两大抓手');
    expect(a.titleDerived).toBe(true);
    expect(a.kicker).toBeNull();
    expect(a.byline).toBeNull();
    expect(a.paragraphs).toHaveLength(6);
    expect(a.dateSource).toBe('first-seen');
    expect(a.date).toBe(FIRST_SEEN);
    expect(parsed.diagnostics.map((d) => d.code)).toEqual(['derived-title', 'date']);
  });
});

describe('golden check --json output', () => {
  it('matches the reviewed golden file', async () => {
    const golden = JSON.parse(await readFile(path.join(ROOT, 'tests/fixtures/golden/samples.check.json'), 'utf8'));
    const parsed = [await sample('000_9a07525249fe1bb1.txt'), await sample('003_451ae4ca37857149.txt')];
    expect({
      articles: parsed.flatMap((p) => p.articles).map(articleJson),
      diagnostics: parsed.flatMap((p) => p.diagnostics),
    }).toEqual(golden);
  });
});
