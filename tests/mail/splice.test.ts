import fc from 'fast-check';
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { hasLongerLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOptions } from '../../src/mail/mime.ts';
import { type PlaceholderKey, placeholder } from '../../src/mail/placeholders.ts';
import { personaliser } from '../../src/mail/render.ts';
import { type MessageTemplate, type RecipientPart, compileMessage, envelopeOf } from '../../src/mail/splice.ts';
import type { OutgoingMessage } from '../../src/mail/transport.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';

const NONCE = 'c0ffee12';
const ph = (key: PlaceholderKey): string => placeholder(NONCE, key);
// nodemailer names its boundary `--_NmP-<baseBoundary>-Part_1`: with the same
// one both messages can be compared byte for byte.
const BASE = 'fixedbase0123';
const BOUNDARY = `--_NmP-${BASE}-Part_1`;

const PARAGRAPH =
  '省委书记蓝佛安来到沁河之畔的晋城市调研，强调要巩固良好态势，发挥比较优势，推动高质量发展取得新成效。' +
  '会议指出，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念，加快构建新发展格局。';

/** A digest-like edition: about 70 KB of Chinese HTML, the placeholders where the templates put them. */
function edition(over: Partial<MessageTemplate> = {}): MessageTemplate {
  const items = Array.from({ length: 12 }, (_, i) => `<h2>巩固良好态势 发挥比较优势（第${i}篇）</h2>` + `<p>${PARAGRAPH.repeat(12)}</p>`).join('\n');
  return {
    from: { name: '山西日报', address: 'digest@news.example.com' },
    replyTo: 'editor@news.example.com',
    subject: '每日要闻 2026年11月25日：巩固良好态势 发挥比较优势 推动高质量发展取得新成效',
    listId: '山西日报 每日要闻 <daily.news.example.com>',
    nonce: NONCE,
    html:
      `<!doctype html><html><body><div>${ph('name')}您好，这是2026年11月25日的每日要闻，共 12 篇。</div>\n${items}\n` +
      `<p>您收到这封邮件，是因为 ${ph('email')} 订阅了山西日报的「每日要闻」。</p>` +
      `<p><a href="${ph('unsubscribe_url')}">一键退订</a> · <a href="https://news.example.com/editions/x.html">在网页上阅读本期</a></p></body></html>`,
    text:
      `${ph('name')}您好，这是2026年11月25日的每日要闻，共 12 篇。\n\n${PARAGRAPH.repeat(20)}\n\n` +
      `您收到这封邮件，是因为 ${ph('email')} 订阅了山西日报的「每日要闻」。\n一键退订：${ph('unsubscribe_url')}\n`,
    ...over,
  };
}

function recipient(i: number, to: { name: string | null; address: string }): RecipientPart {
  const unsubscribe = `https://news.example.com/unsubscribe?token=v1.u.${i.toString(16).padStart(32, '0')}.0.c2lnbmF0dXJl-_&x=1`;
  return {
    messageId: `<daily-2026-11-25.${i}@news.example.com>`,
    date: new Date('2026-11-25T07:00:03+08:00'),
    to,
    values: { name: to.name ?? '', email: to.address, unsubscribe_url: unsubscribe },
    unsubscribeUrl: unsubscribe,
  };
}

/** The message as nodemailer composes it today (src/mail/outbox.ts composeEml), for the same recipient. */
function outgoing(t: MessageTemplate, r: RecipientPart): OutgoingMessage {
  const { html, text } = personaliser({ nonce: t.nonce, html: t.html, text: t.text })(r.values);
  return { messageId: r.messageId, date: r.date, from: t.from, replyTo: t.replyTo, to: r.to, subject: t.subject, text, html, listId: t.listId, unsubscribeUrl: r.unsubscribeUrl };
}

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
async function composeWithNodemailer(t: MessageTemplate, r: RecipientPart): Promise<Buffer> {
  const options: SendMailOptions & { baseBoundary: string } = { ...mailOptions(outgoing(t, r)), baseBoundary: BASE };
  return (await composer.sendMail(options)).message as Buffer;
}

/** Joins each base64 body into one line: what is left must be the same bytes for both composers. */
function unwrapBase64(message: Buffer): string {
  return message.toString('latin1').replace(/(\r\n\r\n)([A-Za-z0-9+/=\r\n]+?)(\r\n--)/g, (_m, a: string, b64: string, c: string) => a + b64.replace(/\r\n/g, '') + c);
}

/** The decoded bytes of the text and HTML parts, read without a MIME library. */
function decodedParts(message: Buffer): { text: Buffer; html: Buffer } {
  const parts = message.toString('latin1').split(`\r\n--${BOUNDARY}`);
  expect(parts).toHaveLength(4);
  expect(parts[3]).toBe('--\r\n');
  const body = (part: string, type: string) => {
    const at = part.indexOf('\r\n\r\n');
    expect(part.slice(0, at)).toContain(`Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64`);
    return Buffer.from(part.slice(at + 4), 'base64');
  };
  return { text: body(parts[1]!, 'text/plain'), html: body(parts[2]!, 'text/html') };
}

/** CRLF only; no line over 998 octets; every base64 line at most 76 characters of the base64 alphabet. */
function checkLines(message: Buffer): void {
  const s = message.toString('latin1');
  expect(s.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  expect(s.endsWith('\r\n')).toBe(true);
  for (const line of s.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  const [, ...parts] = s.split(`--${BOUNDARY}\r\n`);
  expect(parts).toHaveLength(2);
  for (const part of parts) {
    const body = part.slice(part.indexOf('\r\n\r\n') + 4).split(`--${BOUNDARY}`)[0]!;
    for (const line of body.split('\r\n').slice(0, -1)) expect(line).toMatch(/^[A-Za-z0-9+/]{0,76}={0,2}$/);
  }
}

/** What a mail client sees: every parsed header and both parts. */
function seen(m: ParsedMail) {
  return { headers: Object.fromEntries(m.headers), text: m.text, html: m.html, attachments: m.attachments.length };
}

const RECIPIENTS: { name: string | null; address: string }[] = [
  { name: 'Zhang San', address: 'reader@example.com' },
  { name: '张三', address: 'zhangsan@example.com' },
  { name: null, address: 'noname@example.com' },
  { name: '', address: 'empty-name@example.com' },
  { name: 'Doe, "J." =?utf-8?q?x?= <x@y>', address: 'doe@example.com' },
  { name: 'back\\slash', address: 'back@example.com' },
  { name: '读者🎉😀', address: 'emoji@example.com' },
  { name: '很长的名字'.repeat(20), address: 'long@example.com' },
  { name: 'A'.repeat(100), address: 'a.very.long.address.for.testing.folding@subdomain.of.example.com' },
  { name: 'Firstname Lastname '.repeat(5).trim(), address: 'spaces@example.com' },
  // IDN domains are stored in Unicode: nodemailer writes the A-label when the local part is ASCII…
  { name: '读者', address: 'reader@例子.测试' },
  // …and keeps UTF-8 (SMTPUTF8) when it is not.
  { name: '读者', address: '读者@例子.测试' },
];

describe('compileMessage', () => {
  it('writes, for every kind of recipient, the message nodemailer writes, but for where base64 lines break', async () => {
    const t = edition();
    const splice = compileMessage(t, BOUNDARY);
    for (const [i, to] of RECIPIENTS.entries()) {
      const r = recipient(i, to);
      const spliced = splice(r);
      const composed = await composeWithNodemailer(t, r);
      checkLines(spliced);
      // Headers byte for byte (the header block ends at the first empty line).
      const head = (b: Buffer) => b.subarray(0, b.indexOf('\r\n\r\n') + 4).toString('latin1');
      expect(head(spliced)).toBe(head(composed));
      expect(unwrapBase64(spliced)).toBe(unwrapBase64(composed));
      // Both parts decode to exactly the personalised text.
      const expected = outgoing(t, r);
      const parts = decodedParts(spliced);
      expect(parts.text.equals(Buffer.from(expected.text))).toBe(true);
      expect(parts.html.equals(Buffer.from(expected.html))).toBe(true);
      expect(decodedParts(composed)).toEqual(parts);
      // And a mail parser reads the same message from both.
      const [a, b] = await Promise.all([simpleParser(spliced), simpleParser(composed)]);
      expect(seen(a)).toEqual(seen(b));
      expect(a.text).toBe(expected.text);
      expect(a.html).toBe(expected.html);
    }
  });

  it('reads the headers a list needs', async () => {
    const t = edition();
    const r = recipient(7, { name: '张三', address: 'reader@例子.测试' });
    const m = await simpleParser(compileMessage(t, BOUNDARY)(r));
    expect(m.subject).toBe(t.subject);
    expect(m.from?.value).toEqual([{ name: '山西日报', address: 'digest@news.example.com' }]);
    // Written as the A-label (as nodemailer does), read back in Unicode.
    expect(m.headerLines.find((h) => h.key === 'to')?.line).toBe('To: =?UTF-8?B?5byg5LiJ?= <reader@xn--fsqu00a.xn--0zwm56d>');
    expect(m.to).toMatchObject({ value: [{ name: '张三', address: 'reader@例子.测试' }] });
    expect(m.replyTo?.value).toEqual([{ name: '', address: 'editor@news.example.com' }]);
    expect(m.messageId).toBe(r.messageId);
    expect(m.date?.toISOString()).toBe('2026-11-24T23:00:03.000Z');
    // (mailparser leaves the encoded-word phrase of List-Id as it is.)
    expect(m.headers.get('list')).toEqual({
      unsubscribe: { url: r.unsubscribeUrl },
      'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' },
      id: { id: 'daily.news.example.com', name: '=?UTF-8?B?5bGx6KW/5pel5oqlIOavj+aXpeimgemXuw==?=' },
    });
    expect(m.headers.get('mime-version')).toBe('1.0');
    expect(m.headers.get('content-type')).toEqual({ value: 'multipart/alternative', params: { boundary: BOUNDARY } });
  });

  it('percent-encodes what a URL may not carry in List-Unsubscribe, where nodemailer would write encoded-words', async () => {
    const r = { ...recipient(2, { name: null, address: 'x@example.com' }), unsubscribeUrl: 'https://news.example.com/退订?t="a b"<c>' };
    const m = await simpleParser(compileMessage(edition(), BOUNDARY)(r));
    expect(m.headers.get('list')).toMatchObject({ unsubscribe: { url: 'https://news.example.com/%E9%80%80%E8%AE%A2?t=%22a%20b%22%3Cc%3E' } });
  });

  it('writes no List-Unsubscribe pair for a message without an unsubscribe link (a confirmation)', async () => {
    const t = edition({ listId: undefined, replyTo: undefined });
    const { unsubscribeUrl: _, ...r } = recipient(1, { name: null, address: 'new@example.com' });
    const spliced = compileMessage(t, BOUNDARY)(r);
    expect(spliced.toString('latin1')).not.toMatch(/^List-/im);
    expect(unwrapBase64(spliced)).toBe(unwrapBase64(await composeWithNodemailer(t, r)));
  });

  it('keeps compiling independent of the recipients before: the same recipient gives the same bytes', () => {
    const splice = compileMessage(edition(), BOUNDARY);
    const r = recipient(3, { name: '张三', address: 'z@example.com' });
    const first = splice(r);
    splice(recipient(4, { name: '很长的名字'.repeat(20), address: 'long@example.com' }));
    splice({ ...recipient(5, { name: null, address: 'x@example.com' }), date: new Date('2027-01-01T00:00:00Z') });
    expect(splice(r).equals(first)).toBe(true);
  });

  it('rejects a boundary MIME does not allow', () => {
    expect(() => compileMessage(edition(), 'has space')).toThrow(/boundary/);
    expect(() => compileMessage(edition(), 'x'.repeat(71))).toThrow(/boundary/);
  });
});

// Random templates and recipients: placeholders at the very start and end,
// next to each other, and next to multibyte characters; names with CJK,
// emoji, quotes, encoded-word look-alikes; IDN addresses.
const piece = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('省委书记调研', '小店区', '𠀀字', '😀', '🇨🇳', 'é', 'Latin words', ' ', '\n', '\r\n', '<b>', '&amp;', '"', "'", '=?utf-8?B?', '%%', '%%bs-' + NONCE + '-', '--') },
  { weight: 4, arbitrary: fc.constantFrom(...(['name', 'email', 'unsubscribe_url', 'confirm_url'] as const).map(ph), placeholder(NONCE, 'unknown' as PlaceholderKey), placeholder('othernonce', 'name')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(PARAGRAPH.repeat(4), 'x'.repeat(57), 'y'.repeat(58), 'z'.repeat(200)) },
);
const body = fc.array(piece, { maxLength: 24 }).map((p) => p.join(''));
const nameText = fc
  .array(fc.oneof(fc.constantFrom('张三', '读者', '😀', '"', ',', '=?', '?=', '\\', '<', '>', '@', ';', ':', ' ', 'Zhang', 'O\'Brien', '很长的名字'.repeat(10)), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 8 })
  .map((p) => p.join('').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100).trim());
const name = fc.oneof(fc.constant(null), nameText);
const address = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/), fc.constantFrom('example.com', '例子.测试', 'bücher.de', 'xn--fsqu00a.xn--0zwm56d', 'mail.news.example.com'))
  .map(([local, domain]) => `${local.replace(/\.{2,}/g, '.')}@${domain}`);
const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom('', 'https://news.example.com/unsubscribe?token=v1.u.abc&x="<y>"', '𠀀😀'));

describe('compileMessage (property)', () => {
  it('every spliced message parses, decodes to the personalised text, and matches nodemailer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          html: body,
          text: body,
          subject: fc.oneof(nameText, fc.constant('每日要闻 2026年11月25日：巩固良好态势 发挥比较优势 推动高质量发展取得新成效')),
          fromName: nameText.filter((n) => n !== ''),
          listId: fc.option(fc.constantFrom('山西日报 每日要闻 <daily.news.example.com>', '<daily.news.example.com>', 'Daily "news" <daily.news.example.com>'), { nil: undefined }),
          replyTo: fc.option(fc.constant('editor@news.example.com'), { nil: undefined }),
        }),
        fc.record({
          name,
          address,
          other: value,
          unsubscribe: fc.option(fc.stringMatching(/^https:\/\/news\.example\.com\/unsubscribe\?token=[A-Za-z0-9._~-]{1,120}$/), { nil: undefined }),
          seconds: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
        async (e, who) => {
          const t: MessageTemplate = { from: { name: e.fromName, address: 'digest@news.example.com' }, replyTo: e.replyTo, subject: e.subject, listId: e.listId, nonce: NONCE, html: e.html, text: e.text };
          const r: RecipientPart = {
            messageId: `<p.${who.seconds}@news.example.com>`,
            date: new Date(who.seconds * 1000),
            to: { name: who.name, address: who.address },
            values: { name: who.name ?? '', email: who.address, unsubscribe_url: who.unsubscribe ?? who.other, confirm_url: who.other },
            // Any value goes into the body; the List-Unsubscribe URL is what tokens.ts makes (the test above covers the rest).
            unsubscribeUrl: who.unsubscribe,
          };
          const spliced = compileMessage(t, BOUNDARY)(r);
          checkLines(spliced);
          const expected = outgoing(t, r);
          const parts = decodedParts(spliced);
          expect(parts.text.toString()).toBe(expected.text);
          expect(parts.html.toString()).toBe(expected.html);
          const a = await simpleParser(spliced);
          // mailparser turns CRLF into LF.
          expect(a.text ?? '').toBe(expected.text.replace(/\r\n/g, '\n'));
          expect(a.html || '').toBe(expected.html.replace(/\r\n/g, '\n'));
          // nodemailer leaves out a part whose text is empty; editions never have one.
          if (expected.text === '' || expected.html === '') return;
          const composed = await composeWithNodemailer(t, r);
          expect(seen(a)).toEqual(seen(await simpleParser(composed)));
          // A short ASCII-only part nodemailer sends as 7bit; an edition's parts are always base64.
          const base64 = (part: string) => !isPlainText(part) || hasLongerLines(part, 76);
          if (base64(expected.text) && base64(expected.html)) expect(unwrapBase64(spliced)).toBe(unwrapBase64(composed));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sending a spliced message', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('goes through nodemailer SMTP as a raw message with an envelope and arrives unchanged', async () => {
    const t = edition();
    const splice = compileMessage(t, BOUNDARY);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    const sent = RECIPIENTS.slice(0, 3).concat(RECIPIENTS.slice(-2)).map((to, i) => recipient(i, to));
    const envelopes: unknown[] = [];
    try {
      for (const r of sent) envelopes.push((await transport.sendMail({ envelope: envelopeOf(t, r), raw: splice(r) })).envelope);
    } finally {
      transport.close();
    }
    expect(smtp.received).toHaveLength(sent.length);
    for (const [i, r] of sent.entries()) {
      const got = smtp.received[i]!;
      expect(got.raw.equals(splice(r))).toBe(true);
      expect(got.messageId).toBe(r.messageId);
      // nodemailer sends the address as it writes it in To (A-labels for an ASCII local part); smtp-server reports it in Unicode.
      expect(envelopes[i]).toEqual({ from: t.from.address, to: [r.to.address === 'reader@例子.测试' ? 'reader@xn--fsqu00a.xn--0zwm56d' : r.to.address] });
      expect(got.rcptTo).toEqual([r.to.address]);
      expect(seen(got.parsed)).toEqual(seen(await simpleParser(await composeWithNodemailer(t, r))));
    }
  });
});
