import { describe, expect, it } from 'vitest';
import { asText, compileFill, placeholder } from '../../src/mail/placeholders.ts';
import { escapeHtml } from '../../src/text/html.ts';

const NONCE = 'deadbeef';

describe('placeholders', () => {
  it('fills every occurrence, escaping for HTML text and attributes alike', () => {
    const html = `<a href="${placeholder(NONCE, 'unsubscribe_url')}">x</a><p>${placeholder(NONCE, 'name')}</p><p>${placeholder(NONCE, 'name')}</p>`;
    const fill = compileFill(html, NONCE, escapeHtml);
    expect(fill({ name: '"><script>alert(1)</script>', unsubscribe_url: 'https://x/u?a=1&b="2"' })).toBe(
      '<a href="https://x/u?a=1&amp;b=&quot;2&quot;">x</a><p>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p><p>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('leaves plain text values as they are', () => {
    const fill = compileFill(`Hi ${placeholder(NONCE, 'name')}\n`, NONCE, asText);
    expect(fill({ name: '"><script>' })).toBe('Hi "><script>\n');
  });

  it('ignores placeholders of another rendering (a different nonce)', () => {
    const text = `${placeholder('cafebabe', 'name')} ${placeholder(NONCE, 'email')}`;
    expect(compileFill(text, NONCE, asText)({ name: 'X', email: 'a@b.c' })).toBe(`${placeholder('cafebabe', 'name')} a@b.c`);
  });
});
