// The digest is composed once per edition and spliced per subscriber
// (send/message.ts, mail/splice.ts). What a real SMTP server receives must
// be, part by part after decoding, the message nodemailer would have composed
// for the same subscriber — for ordinary readers and for hostile names,
// addresses and headlines.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/mail/mime.ts';
import { personaliser } from '../../src/mail/render.ts';
import { listIdOf, senderOf } from '../../src/mail/sender.ts';
import type { Edition } from '../../src/model.ts';
import { subscriberLinks } from '../../src/subscribers/links.ts';
import { type SendHarness, SECRET, delivered, sendHarness } from '../helpers/send.ts';
import { type Received, type TestSmtp, startSmtp } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/tmp.ts';

const T1 = '2026-11-25T07:00:00+08:00';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

/** The message nodemailer composes for this subscriber (the path the digest took before splicing). */
async function composedByNodemailer(h: SendHarness, edition: Edition, m: Received): Promise<ParsedMail> {
  const subscriberId = new RegExp(`^<${edition.id}\\.([0-9a-f]{32})@`).exec(m.messageId)![1]!;
  // The address and name as the store has them (an IDN domain in Unicode; the envelope carries its A-label).
  const { email: address, name } = (await h.withStore((s) => s.subscribers.get({ id: subscriberId })))!;
  const links = subscriberLinks(h.config.site.baseUrl, SECRET, subscriberId);
  const { html, text } = personaliser(edition)({ name: name ?? '', email: address, unsubscribe_url: links.unsubscribeUrl, preferences_url: links.preferencesUrl });
  const sender = senderOf(h.config);
  const { raw } = await composeMessage({
    messageId: m.messageId,
    date: m.parsed.date!,
    from: sender.from,
    replyTo: sender.replyTo,
    to: { name, address },
    subject: edition.subject,
    html,
    text,
    listId: listIdOf(h.config, edition.schedule, sender),
    unsubscribeUrl: links.unsubscribeUrl,
  });
  return simpleParser(raw);
}

/** What a reader's mail client makes of a message: every header, both parts decoded. */
function readable(p: ParsedMail) {
  const headers = Object.fromEntries([...p.headers.entries()].filter(([k]) => k !== 'content-type').map(([k, v]) => [k, JSON.stringify(v)]));
  const type = p.headers.get('content-type') as { value: string };
  return { headers, type: type.value, text: p.text, html: p.html, attachments: p.attachments.length };
}

describe('spliced delivery', () => {
  it('delivers, part by part after decoding, the message nodemailer would compose for each subscriber', async () => {
    smtp = await startSmtp();
    const h = await sendHarness({ subscribers: 6, smtpUrl: smtp.url, config: { mail: { replyTo: 'editor@news.example.com' } } });
    const r = delivered(await h.send(T1));
    const edition = (await h.withStore((s) => s.editions.get(r.edition.id)))!;
    expect(smtp.received).toHaveLength(6);
    for (const m of smtp.received) {
      const expected = await composedByNodemailer(h, edition, m);
      expect(readable(m.parsed)).toEqual(readable(expected));
      // The same header fields, in the same order.
      expect([...m.parsed.headers.keys()]).toEqual([...expected.headers.keys()]);
      expect(m.parsed.text).toContain(subscriberLinks(h.config.site.baseUrl, SECRET, m.messageId.slice(r.edition.id.length + 2, -('@news.example.com>'.length))).unsubscribeUrl);
    }
  });

  it('splices hostile names, addresses and headlines into messages that parse and decode to the personalised text', async () => {
    smtp = await startSmtp();
    // A fixed seed: the same sample every run, and a failure names it.
    const seed = 20261125;
    const nasty = fc.oneof(
      fc.constantFrom('=?utf-8?q?x?=', '"引号" <尖括号>', "O'Brien, Jr.", '😀👨‍👩‍👧 表情', '读者'.repeat(60), ' 前后空格 ', 'a\\b', '%%bs-00000000-name%%', ';,:@'),
      fc.string({ unit: fc.constantFrom(...Array.from('读者张三李四王五abcXYZ 0123"\'<>()=?_.,;:@\\😀é')), minLength: 1, maxLength: 40 }),
    );
    const names = fc.sample(fc.option(nasty, { nil: null, freq: 5 }), { seed, numRuns: 24 });
    const locals = fc.sample(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]$/), { seed, numRuns: 24 });
    const domains = ['example.com', 'news.example.org', '例子.测试', 'xn--fsqu00a.xn--0zwm56d.example', 'mail.例え.jp'];
    const seen = new Set<string>();
    const people = names.flatMap((name, i) => {
      const email = `${locals[i]!.replace(/\.{2,}/g, '.')}${i}@${domains[i % domains.length]}`;
      if (seen.has(email)) return [];
      seen.add(email);
      return [{ email, name: name === null ? null : name.trim() === '' ? null : name.trim() }];
    });
    const titles = fc.sample(nasty, { seed: seed + 1, numRuns: 3 });
    const articles = Object.fromEntries(
      titles.map((title, i) => [`t${i}.txt`, `# ${title.replace(/^#+/, '')}（${i}）\n\n本报讯(记者 张三)11月25日，第${i}篇稿件的正文写在这里，说明${title}的情况。\n`]),
    );
    const h = await sendHarness({ subscribers: people.length, smtpUrl: smtp.url, people, articles });
    const r = delivered(await h.send(T1));
    expect(r.report.counts.sent).toBe(people.length);
    const edition = (await h.withStore((s) => s.editions.get(r.edition.id)))!;
    expect(smtp.received).toHaveLength(people.length);
    for (const m of smtp.received) {
      const expected = await composedByNodemailer(h, edition, m);
      const got = readable(m.parsed);
      expect(got, `message to ${m.rcptTo[0]} (seed ${seed})`).toEqual(readable(expected));
      expect(m.parsed.subject).toBe(edition.subject);
      // Every line of the raw message within SMTP's limit, CRLF only.
      const raw = m.raw.toString('latin1');
      expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
      expect(/[^\r]\n|\r[^\n]/.test(raw)).toBe(false);
    }
    // Each reader's name arrives as they gave it. (A name that itself looks like an encoded word,
    // `=?utf-8?q?x?=`, is read by mail clients as what it encodes — in nodemailer's messages as in these.)
    const arrived = smtp.received.map((m) => (m.parsed.to && !Array.isArray(m.parsed.to) ? m.parsed.to.value[0]!.name : '')).sort();
    const given = people.map((p) => p.name ?? '');
    expect(arrived.filter((n) => !given.includes(n))).toEqual(given.filter((n) => n.includes('=?')).length > 0 ? ['x'] : []);
  });

  it.each(['rsa', 'ed25519'] as const)('signs each spliced copy once with DKIM (%s), verifiably', async (type) => {
    smtp = await startSmtp();
    const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
    const keyFile = path.join(await tempDir(), 'dkim.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url, config: { mail: { dkim: { domain: 'news.example.com', selector: 'bs', privateKeyFile: keyFile } } } });
    delivered(await h.send(T1));
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    // DNS carries the raw 32-byte key for Ed25519 (RFC 8463), the SPKI for RSA.
    const p = (type === 'rsa' ? spki : spki.subarray(spki.length - 32)).toString('base64');
    for (const m of smtp.received) {
      expect(m.raw.toString('latin1').match(/^DKIM-Signature:/gm)).toHaveLength(1);
      const result = await dkimVerify(m.raw, {
        resolver: async (name: string) => {
          if (name !== 'bs._domainkey.news.example.com') throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
          return [[`v=DKIM1; k=${type}; p=${p}`]];
        },
      });
      expect(result.results[0]!.status.result).toBe('pass');
    }
  });
});
