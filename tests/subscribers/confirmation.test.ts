import { describe, expect, it } from 'vitest';
import { greetingOf } from '../../src/subscribers/confirmation.ts';

describe('the confirmation greeting', () => {
  it('greets by the name given', () => {
    expect(greetingOf('张三')).toBe('张三，');
    expect(greetingOf('Zhang San')).toBe('Zhang San，');
    expect(greetingOf(null)).toBe('');
  });

  it('leaves out a name that could carry a link or an address to a stranger', () => {
    for (const name of ['http://evil.example', '点击 www.evil.cn 领奖', 'win@evil.example', '中奖了：evil。cn'.replace('。', '.'), '<b>x</b>', '[链接](x)', '名'.repeat(31), 'a=b', 'x_y']) {
      expect(greetingOf(name), name).toBe('');
    }
  });
});
