// Bylines name the outlet when the copy names one, whatever form the lead takes.
import { describe, expect, it } from 'vitest';
import { matchByline } from '../../src/parse/byline.ts';
import { parse } from '../helpers/parse.ts';

const LP = '\uFF08';
const RP = '\uFF09';

describe('byline outlets', () => {
  it.each([
    // The bracket names the outlet.
    ['本报讯(山西日报记者 陈俊琦)', '山西日报', ['陈俊琦']],
    // A wire service's lead names it (the bug report).
    ['新华社太原11月21日电(记者 甲 乙)', '新华社', ['甲', '乙']],
    [`新华社北京11月20日电${LP}记者 王强${RP}`, '新华社', ['王强']],
    ['中新社北京电(记者 李明)', '中新社', ['李明']],
    // XX报讯 / XX台讯 / XX网讯 leads name their outlet.
    ['中国青年报讯(记者 王五)', '中国青年报', ['王五']],
    [`山西广播电视台讯${LP}记者 赵明远${RP}`, '山西广播电视台', ['赵明远']],
    ['央视网讯(记者 孙丽)', '央视网', ['孙丽']],
    // 本报 is "this paper": no outlet is named.
    ['本报太原3月29日电(记者 王强)', null, ['王强']],
    ['本报讯(记者 张三)', null, ['张三']],
    ['本报讯(本报记者 张三)', null, ['张三']],
    // When both name one, the bracket's stays (as it always has).
    ['新华社北京11月20日电(人民日报记者 张三)', '人民日报', ['张三']],
  ])('%s → outlet %s', (lead, outlet, reporters) => {
    const m = matchByline(`${lead}正文开始。`);
    expect(m?.byline).toEqual({ outlet, reporters, contributors: [], text: lead });
    expect(m?.rest).toBe('正文开始。');
  });

  it('names no outlet for a byline on its own line', () => {
    expect(matchByline('本报记者 张三 李四')?.byline.outlet).toBeNull();
    expect(matchByline('记者 赵明远 通讯员 孙丽')?.byline).toEqual({
      outlet: null,
      reporters: ['赵明远'],
      contributors: ['孙丽'],
      text: '记者 赵明远 通讯员 孙丽',
    });
  });

  it('fills the article byline and author from a wire-service lede, keeping the dateline', () => {
    const { articles } = parse('# 标题\n\n新华社太原11月21日电(记者 甲 乙)全省春耕生产有序推进。\n');
    expect(articles[0]!.byline).toEqual({
      outlet: '新华社',
      reporters: ['甲', '乙'],
      contributors: [],
      text: '新华社太原11月21日电\uFF08记者 甲 乙\uFF09',
    });
    expect(articles[0]!.author).toBe('甲、乙');
    expect(articles[0]!.dateline).toBe('11月21日');
    expect(articles[0]!.date).toBe('2026-11-21T00:00:00+08:00');
  });

  it('fills the article byline from an XX报讯 lede', () => {
    const { articles } = parse('# 标题\n\n中国青年报讯(记者 王五)近日,某地举行活动。\n');
    expect(articles[0]!.byline).toMatchObject({ outlet: '中国青年报', reporters: ['王五'] });
    expect(articles[0]!.dateline).toBe('近日');
  });
});
