import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { DKIM_FIELDS, dkimSigner } from '../../src/mail/dkim.ts';
import { placeholder } from '../../src/mail/placeholders.ts';
import { compileMessage } from '../../src/mail/splice.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const RSA_KEY = { domainName: 'news.example.com', keySelector: 'rsa2026', privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const ED_KEY = { domainName: 'news.example.com', keySelector: 'ed2026', privateKey: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };

/** The DNS a receiver would ask: RSA keys as SubjectPublicKeyInfo, Ed25519 keys as the raw 32 bytes (RFC 8463). */
const DNS: Record<string, string> = {
  'rsa2026._domainkey.news.example.com': `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  'ed2026._domainkey.news.example.com': `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
};
async function resolver(name: string, type: string): Promise<string[][]> {
  const record = type === 'TXT' ? DNS[name] : undefined;
  if (!record) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  return [[record]];
}

const verify = async (message: Buffer | string) => (await dkimVerify(message, { resolver })).results;

const NONCE = 'abcd0123';
function spliced(name = '张三'): Buffer {
  const p = (k: 'name' | 'email' | 'unsubscribe_url') => placeholder(NONCE, k);
  const splice = compileMessage(
    {
      from: { name: '山西日报', address: 'digest@news.example.com' },
      subject: '每日要闻 2026年11月25日',
      listId: '山西日报 每日要闻 <daily.news.example.com>',
      nonce: NONCE,
      html: `<p>${p('name')}您好</p>${'<p>巩固良好态势 发挥比较优势</p>'.repeat(500)}<a href="${p('unsubscribe_url')}">退订</a>`,
      text: `${p('name')}您好\n${'巩固良好态势 发挥比较优势\n'.repeat(200)}退订：${p('unsubscribe_url')}\n`,
    },
    '--_NmP-dkimtest-Part_1',
  );
  const url = 'https://news.example.com/unsubscribe?token=v1.u.0123.0.sig';
  return splice({
    messageId: '<daily.1@news.example.com>',
    date: new Date('2026-11-25T07:00:00+08:00'),
    to: { name, address: 'reader@例子.测试' },
    values: { name, email: 'reader@例子.测试', unsubscribe_url: url },
    unsubscribeUrl: url,
  });
}

describe('dkimSigner', () => {
  it('signs a spliced message with RSA and Ed25519; mailauth verifies both', async () => {
    const signed = dkimSigner([RSA_KEY, ED_KEY])(spliced());
    const results = await verify(signed);
    expect(results.map((r) => [/header\.a=(\S+)/.exec(r.info)?.[1], r.status.result])).toEqual([
      ['rsa-sha256', 'pass'],
      ['ed25519-sha256', 'pass'],
    ]);
    // Both List-Unsubscribe fields are covered, as RFC 8058 asks for one-click unsubscribe.
    const h = /h=([^;]+);/.exec(signed.toString('latin1').replace(/\r\n /g, ' '))![1]!.replace(/\s/g, '').split(':');
    expect(h).toEqual(['from', 'to', 'subject', 'date', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'mime-version', 'content-type']);
    expect(h.every((f) => DKIM_FIELDS.map((x) => x.toLowerCase()).includes(f))).toBe(true);
  });

  it('signs the same off the main thread (async) as on it', async () => {
    const sign = dkimSigner([RSA_KEY, ED_KEY]);
    const message = spliced();
    // RSA PKCS#1 v1.5 and Ed25519 signatures are deterministic: the bytes must agree.
    expect(await sign.async(message)).toEqual(sign(message));
  });

  it('keeps every line of the signature fields within 78 characters', () => {
    const signed = dkimSigner([RSA_KEY, ED_KEY])(spliced()).toString('latin1');
    const head = signed.slice(0, signed.indexOf('\r\nList-Unsubscribe:'));
    for (const line of head.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('fails verification when the body or a signed header is changed after signing', async () => {
    const signed = dkimSigner([RSA_KEY])(spliced()).toString('latin1');
    const body = signed.replace('\r\n\r\n----_NmP-dkimtest-Part_1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5', '\r\n\r\n----_NmP-dkimtest-Part_1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n6');
    expect(body).not.toBe(signed);
    expect((await verify(Buffer.from(body, 'latin1')))[0]!.status.result).toBe('neutral');
    const to = signed.replace('To: =?UTF-8?B?5byg5LiJ?=', 'To: =?UTF-8?B?5p2O5Zub?=');
    expect(to).not.toBe(signed);
    expect((await verify(Buffer.from(to, 'latin1')))[0]!.status.result).toBe('fail');
  });

  it('canonicalises a body that is not already relaxed (spaces, tabs, empty lines at the end)', async () => {
    const message = 'From: a@news.example.com\r\nTo: b@example.com\r\nSubject: x\r\n\r\nline  with\t\tspace   \r\n\r\n trailing \t\r\n\r\n\r\n';
    const results = await verify(dkimSigner([RSA_KEY, ED_KEY])(Buffer.from(message)));
    expect(results.map((r) => r.status.result)).toEqual(['pass', 'pass']);
    for (const body of ['', '\r\n', 'no newline at the end', '\r\n\r\nx \r\n']) {
      const r = await verify(dkimSigner([ED_KEY])(Buffer.from(`From: a@news.example.com\r\n\r\n${body}`)));
      expect(r[0]!.status.result, JSON.stringify(body)).toBe('pass');
    }
  });

  it('rejects a key DKIM cannot use', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => dkimSigner([{ ...RSA_KEY, privateKey: ec }])).toThrow(/rsa2026._domainkey.news.example.com is ec/);
  });
});
