import { describe, expect, it } from 'vitest';
import { checkSchedule, normaliseAddress, normaliseName } from '../../src/subscribers/address.ts';

describe('addresses', () => {
  it.each([
    ['  Zhang.San@Example.COM ', 'zhang.san@example.com'],
    ['a+tag@gmail.com', 'a+tag@gmail.com'],
    ['reader@例子.测试', 'reader@例子.测试'],
    ['reader@xn--fsqu00a.xn--0zwm56d', 'reader@例子.测试'],
    ['reader@例子.公司', 'reader@例子.公司'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseAddress(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'is empty'],
    ['plainaddress', 'is not an email address'],
    ['a@b', 'is not an email address'],
    ['a..b@example.com', 'is not an email address'],
    ['用户@例子.测试', 'is not an email address'],
    ['a@-x.com', 'is not an email address'],
    ['a@1.2.3.4', 'is not an email address'],
    ['victim@example.com\r\nBcc: everyone@example.com', 'contains a line break or control character'],
    ['a@example.com\n', 'contains a line break or control character'],
    ['a\u0000@example.com', 'contains a line break or control character'],
    [`${'x'.repeat(250)}@example.com`, 'is longer than 254 characters'],
  ])('rejects %j', (input, error) => {
    const r = normaliseAddress(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(error);
  });

  it('checks names: optional, one line, 100 characters at most', () => {
    expect(normaliseName(undefined)).toEqual({ ok: true, value: null });
    expect(normaliseName('  张三 ')).toEqual({ ok: true, value: '张三' });
    expect(normaliseName('   ')).toEqual({ ok: true, value: null });
    expect(normaliseName('张三\r\nBcc: x@y.z')).toMatchObject({ ok: false });
    expect(normaliseName('名'.repeat(101))).toMatchObject({ ok: false, error: 'name is longer than 100 characters' });
  });

  it('checks schedules against the config', () => {
    expect(checkSchedule(undefined, ['daily', 'weekly'], 'daily')).toEqual({ ok: true, value: 'daily' });
    expect(checkSchedule('weekly', ['daily', 'weekly'], 'daily')).toEqual({ ok: true, value: 'weekly' });
    expect(checkSchedule('monthly', ['daily', 'weekly'], 'daily')).toEqual({ ok: false, error: 'unknown schedule "monthly" (known: daily, weekly)' });
  });
});
