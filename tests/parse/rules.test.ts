// Each rule of the text format, on small sources written here.
import { describe, expect, it } from 'vitest';
import { parse } from '../helpers/parse.ts';

const LP = '\uFF08';
const RP = '\uFF09';
const CM = '\uFF0C';

describe('headlines, kickers and subtitles', () => {
  it('takes the short line above a # headline as the kicker and a —— line after it as the subtitle', () => {
    const { articles } = parse('引题在这里\n\n# 主标题\n——副题说明\n\n正文第一段。\n');
    expect(articles).toHaveLength(1);
    expect(articles[0]).toMatchObject({ kicker: '引题在这里', title: '主标题', subtitle: '副题说明', line: 3 });
    expect(articles[0]!.paragraphs).toEqual(['正文第一段。']);
  });

  it('does not take a full sentence above the headline as a kicker', () => {
    const { articles } = parse('这是一个完整的句子。\n\n# 标题\n\n正文。\n');
    expect(articles.map((a) => a.title)).toEqual(['这是一个完整的句子', '标题']);
    expect(articles[1]!.kicker).toBeNull();
  });

  it('starts a new article at ## or at a second # after a body', () => {
    const { articles } = parse('# 第一篇\n\n正文一。\n\n## 第二篇\n\n正文二。\n\n# 第三篇\n\n正文三。\n', { stem: 'f' });
    expect(articles.map((a) => [a.id, a.title, a.paragraphs])).toEqual([
      ['f#1', '第一篇', ['正文一。']],
      ['f#2', '第二篇', ['正文二。']],
      ['f#3', '第三篇', ['正文三。']],
    ]);
  });

  it('accepts a file that begins with ##', () => {
    const { articles, diagnostics } = parse('## 要闻汇编\n\n正文。\n');
    expect(articles.map((a) => a.title)).toEqual(['要闻汇编']);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('joins consecutive headline lines into one headline', () => {
    const { articles, diagnostics } = parse('# 上半句\n# 下半句\n\n正文。\n');
    expect(articles).toHaveLength(1);
    expect(articles[0]!.title).toBe('上半句 下半句');
    expect(diagnostics.find((d) => d.code === 'headline')?.line).toBe(2);
  });

  it('treats #hashtag (no space) as text, not a headline', () => {
    const { articles } = parse('#话题#今天的新闻。\n');
    expect(articles[0]!.titleDerived).toBe(true);
    expect(articles[0]!.paragraphs).toEqual(['#话题#今天的新闻。']);
  });
});

describe('bylines, datelines and editor credits', () => {
  it('reads outlet and reporter from 本报讯(山西日报记者 …) with ASCII parentheses', () => {
    const { articles } = parse('# 标题\n\n本报讯(山西日报记者 陈俊琦)3月29日至31日,省委书记调研。\n');
    const a = articles[0]!;
    expect(a.byline).toMatchObject({ outlet: '山西日报', reporters: ['陈俊琦'], contributors: [] });
    expect(a.dateline).toBe('3月29日至31日');
    expect(a.paragraphs).toEqual([`3月29日至31日${CM}省委书记调研。`]);
  });

  it('reads reporters and contributors from full-width parentheses', () => {
    const { articles } = parse(`# 标题\n\n本报讯${LP}记者 赵明远 通讯员 孙丽${RP}11月20日${CM}某地举行活动。\n`);
    expect(articles[0]!.byline).toMatchObject({ outlet: null, reporters: ['赵明远'], contributors: ['孙丽'] });
    expect(articles[0]!.dateline).toBe('11月20日');
    expect(articles[0]!.date).toBe('2026-11-20T00:00:00+08:00');
  });

  it('reads several reporters and a dated lead (本报太原3月29日电)', () => {
    const { articles } = parse('# 标题\n\n本报太原3月29日电(记者 王强、李明)全省春耕生产有序推进。\n');
    expect(articles[0]!.byline).toMatchObject({ reporters: ['王强', '李明'] });
    expect(articles[0]!.dateline).toBe('3月29日');
    expect(articles[0]!.author).toBe('王强、李明');
  });

  it('records 近日 as the dateline but dates the article by when it was first seen', () => {
    const { articles } = parse('# 标题\n\n本报讯(记者 张三)近日,某地举行活动。\n', { firstSeen: '2026-11-25T09:00:00+08:00' });
    expect(articles[0]!.dateline).toBe('近日');
    expect(articles[0]!.dateSource).toBe('first-seen');
    expect(articles[0]!.date).toBe('2026-11-25T09:00:00+08:00');
  });

  it.each([
    ['(以上由李杰华编辑整理)', '李杰华'],
    ['(责任编辑:王芳)', '王芳'],
    [`${LP}责任编辑${'\uFF1A'}王芳${RP}`, '王芳'],
    ['(编辑 刘洋)', '刘洋'],
  ])('takes %s at the end as the editor credit', (credit, editor) => {
    const { articles } = parse(`# 标题\n\n正文。\n\n${credit}\n`);
    expect(articles[0]!.editor).toBe(editor);
    expect(articles[0]!.paragraphs).toEqual(['正文。']);
  });

  it('takes a credit that closes the last paragraph', () => {
    const { articles } = parse('# 标题\n\n正文。(责任编辑:王芳)\n');
    expect(articles[0]!.editor).toBe('王芳');
    expect(articles[0]!.paragraphs).toEqual(['正文。']);
  });
});

describe('paragraphs and page breaks', () => {
  it('splits on blank lines and joins the lines of one paragraph', () => {
    const { articles } = parse('# 标题\n\n第一段前半\n第一段后半。\n\n第二段。\n');
    expect(articles[0]!.paragraphs).toEqual(['第一段前半第一段后半。', '第二段。']);
  });

  it('takes one paragraph per line when the body has no blank lines', () => {
    const { articles } = parse('第一段。\n第二段。\n第三段。\n');
    expect(articles[0]!.paragraphs).toEqual(['第一段。', '第二段。', '第三段。']);
  });

  it('joins a paragraph cut mid-sentence with the next, without a space, and reports it', () => {
    const { articles, diagnostics } = parse('# 标题\n\n千畦新苗绿、万户春耕忙。蓝佛安来\n\n到沁河之畔。\n\n下一段。\n');
    expect(articles[0]!.paragraphs).toEqual(['千畦新苗绿、万户春耕忙。蓝佛安来到沁河之畔。', '下一段。']);
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ line: 3, severity: 'info', code: 'page-break' }),
    );
  });

  it('joins Latin words across a break with a space', () => {
    const { articles } = parse('# Title\n\nThe reporters went\n\nto the river.\n');
    expect(articles[0]!.paragraphs).toEqual(['The reporters went to the river.']);
  });

  it('does not join a paragraph that ends with a closing quote after a full stop', () => {
    const { articles } = parse('# 标题\n\n他说:“好。”\n\n下一段。\n');
    expect(articles[0]!.paragraphs).toHaveLength(2);
  });
});

describe('roundup sections', () => {
  it('keeps short unpunctuated lines followed by text as section headings, in order', () => {
    const { articles } = parse('## 各地动态\n\n小店区\n\n小店区召开会议。\n\n古交市\n\n古交市开展调研。\n\n(以上由李杰华编辑整理)\n');
    expect(articles[0]!.sections).toEqual([
      { heading: '小店区', paragraphs: ['小店区召开会议。'] },
      { heading: '古交市', paragraphs: ['古交市开展调研。'] },
    ]);
    expect(articles[0]!.editor).toBe('李杰华');
  });

  it('reads the short rest of a cut sentence as text, not as a heading', () => {
    const { articles } = parse('# 标题\n\n会议要求加快\n\n推进工作\n\n建设更多项目。\n');
    expect(articles[0]!.sections).toEqual([]);
    expect(articles[0]!.paragraphs).toEqual(['会议要求加快推进工作建设更多项目。']);
  });

  it('takes ### lines as explicit section headings', () => {
    const { articles } = parse('# 标题\n\n### 第一部分,背景\n\n正文。\n');
    expect(articles[0]!.sections).toEqual([{ heading: `第一部分${CM}背景`, paragraphs: ['正文。'] }]);
  });
});

describe('derived titles and summaries', () => {
  it('derives the title from the first sentence when there is no headline', () => {
    const { articles, diagnostics } = parse('产业链和专业镇是太原工业高质量发展的两大抓手。后文。\n');
    expect(articles[0]).toMatchObject({ title: '产业链和专业镇是太原工业高质量发展的两大抓手', titleDerived: true });
    expect(diagnostics.map((d) => d.code)).toContain('derived-title');
  });

  it('cuts a long first sentence at a clause boundary within 40 characters', () => {
    const first = '省委书记深入晋城市城区阳城县沁水县陵川县和晋城经济技术开发区,带头贯彻落实党中央关于在全党大兴调查研究的部署要求,就产业转型进行调研。';
    const { articles } = parse(`${first}\n`);
    const title = articles[0]!.title;
    expect(Array.from(title).length).toBeLessThanOrEqual(40);
    expect(title).toBe('省委书记深入晋城市城区阳城县沁水县陵川县和晋城经济技术开发区…');
  });

  it('summarises with whole sentences up to about 120 characters', () => {
    const s1 = '第一句话说明了事情的经过。';
    const s2 = '第二句话补充了细节。';
    const long = '很长'.repeat(60) + '。';
    const { articles } = parse(`# 标题\n\n${s1}${s2}${long}\n`);
    expect(articles[0]!.summary).toBe(s1 + s2);
  });

  it('cuts a first sentence over 120 characters at a clause', () => {
    const sentence = '甲'.repeat(70) + ',' + '乙'.repeat(70) + '。';
    const { articles } = parse(`# 标题\n\n${sentence}\n`);
    expect(articles[0]!.summary).toBe('甲'.repeat(70) + '…');
  });
});

describe('punctuation', () => {
  it('restores full-width marks next to Han characters only', () => {
    const { articles } = parse('# 标题\n\n投资1,000万元,建设B-2682号(PPP)项目:好!真的?是的。\n');
    expect(articles[0]!.paragraphs[0]).toBe(`投资1,000万元${CM}建设B-2682号${LP}PPP${RP}项目\uFF1A好\uFF01真的\uFF1F是的。`);
  });

  it('restores a mark where lines of one paragraph meet, as in the joined paragraph', () => {
    // `,` starts the second line: on its own line it touches no CJK on the left.
    const { articles } = parse('# 标题\n\n前半句\n,后半句。\n\n下文(注)。\n');
    expect(articles[0]!.paragraphs).toEqual([`前半句${CM}后半句。`, `下文${LP}注${RP}。`]);
  });

  it('judges a kicker by its line as written, before punctuation is restored', () => {
    // As written, `)` keeps this from reading as a 报讯 byline; restored, it would read as one.
    const { articles } = parse('某)报讯(记者 张三)\n\n# 标题\n\n正文。\n');
    expect(articles.map((a) => [a.title, a.kicker])).toEqual([['标题', `某${RP}报讯${LP}记者 张三${RP}`]]);
  });

  it('leaves ASCII punctuation alone when the setting is off', () => {
    const { articles } = parse('# 标题\n\n甲,乙(丙)。\n', { punctuation: false });
    expect(articles[0]!.paragraphs[0]).toBe('甲,乙(丙)。');
  });
});

describe('dates', () => {
  it('takes the last day of a dateline range', () => {
    const { articles } = parse('# 标题\n\n本报讯(记者 张三)3月30日至4月1日,会议举行。\n');
    expect(articles[0]!.date).toBe('2026-04-01T00:00:00+08:00');
  });

  it('infers the year as the latest that is not after the first-seen moment, with a warning', () => {
    const { articles, diagnostics } = parse('# 标题\n\n本报讯(记者 张三)12月30日,会议举行。\n', {
      firstSeen: '2026-01-05T10:00:00+08:00',
    });
    expect(articles[0]!.date).toBe('2025-12-30T00:00:00+08:00');
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'date-year', severity: 'warning', line: 1 }));
  });

  it('keeps an explicit year', () => {
    const { articles, diagnostics } = parse('# 标题\n\n2023年3月29日,会议举行。\n');
    expect(articles[0]!.date).toBe('2023-03-29T00:00:00+08:00');
    expect(diagnostics.map((d) => d.code)).not.toContain('date-year');
  });

  it('uses the site time zone for the offset', () => {
    const { articles } = parse('# Title\n\n3月29日,会议举行。\n', { timeZone: 'America/New_York' });
    expect(articles[0]!.date).toBe('2026-03-29T00:00:00-04:00');
  });

  it('ignores a dateline that is not a calendar date', () => {
    const { articles, diagnostics } = parse('# 标题\n\n2月30日,会议举行。\n');
    expect(articles[0]!.dateSource).toBe('first-seen');
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'date', severity: 'warning' }));
  });
});

describe('ids', () => {
  it('numbers the articles of a file after its stem', () => {
    const { articles } = parse('# 一\n\n甲。\n\n## 二\n\n乙。\n', { stem: '2026/03/a' });
    expect(articles.map((a) => a.id)).toEqual(['2026/03/a#1', '2026/03/a#2']);
  });

  it('keeps ids when the text is edited', () => {
    const before = parse('# 一\n\n甲。\n\n## 二\n\n乙。\n').articles.map((a) => a.id);
    const after = parse('引题\n\n# 一(改)\n\n甲,改写。\n\n新增段落。\n\n## 二\n\n乙。\n').articles.map((a) => a.id);
    expect(after).toEqual(before);
  });
});

describe('XML-illegal characters and markup', () => {
  it('removes control characters with a warning naming the line', () => {
    const { articles, diagnostics } = parse('# 标题\n\n正\u0001文\u000B。\uFFFF\n');
    expect(articles[0]!.paragraphs).toEqual(['正文。']);
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ line: 3, severity: 'warning', code: 'control-character' }),
    );
  });

  it('removes lone surrogates but keeps pairs', () => {
    const { articles } = parse('# 标题\n\n甲\uD800乙😀。\n');
    expect(articles[0]!.paragraphs).toEqual(['甲乙😀。']);
  });

  it('keeps markup as text', () => {
    const { articles } = parse('# <script>alert(1)</script> & ]]>\n\n正文<b>粗</b>&amp;。\n');
    expect(articles[0]!.title).toBe('<script>alert(1)</script> & ]]>');
    expect(articles[0]!.paragraphs).toEqual(['正文<b>粗</b>&amp;。']);
  });
});
