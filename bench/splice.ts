// Splice benchmark: the cost of one recipient's finished message, spliced
// from an edition composed once (src/mail/splice.ts) against nodemailer
// composing it from scratch (as src/mail/outbox.ts composeEml does); then
// the same with a DKIM signature, from nodemailer, mailauth and
// src/mail/dkim.ts, RSA-2048 against Ed25519. No socket: the bytes only.
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import { renderDigest } from '../src/digest/digest.ts';
import { DKIM_FIELDS, type DkimKey, dkimSigner } from '../src/mail/dkim.ts';
import { mailOptions } from '../src/mail/mime.ts';
import { personaliser } from '../src/mail/render.ts';
import { type MessageTemplate, type RecipientPart, compileMessage, envelopeOf } from '../src/mail/splice.ts';
import { digestFixture, sampleArticles } from '../tests/helpers/digest.ts';
import { type Bench, measure } from './measure.ts';

/**
 * Runs `one` n times per run and reports the run with the median time, as µs
 * per message of wall time and of CPU time (the process's, GC threads
 * included): on a shared machine the CPU figure is the steadier one.
 */
async function perMessage(name: string, n: number, runs: number, one: (i: number) => unknown): Promise<Bench> {
  for (let i = 0; i < Math.min(n, 50); i++) await one(i);
  const all: { bench: Bench; cpu: number }[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    const bench = await measure(name, async () => {
      for (let i = 0; i < n; i++) {
        const x = one(i);
        if (x instanceof Promise) await x;
      }
    });
    const cpu = process.cpuUsage(start);
    all.push({ bench, cpu: cpu.user + cpu.system });
  }
  const median = [...all].sort((a, b) => a.bench.ms - b.bench.ms)[runs >> 1]!.bench;
  const cpu = all.map((a) => a.cpu).sort((a, b) => a - b)[runs >> 1]!;
  return { ...median, note: `${((median.ms * 1000) / n).toFixed(1)} µs wall, ${(cpu / n).toFixed(1)} µs CPU per message (medians of ${runs} runs of ${n})` };
}

export async function benchSplice(): Promise<Bench[]> {
  // The edition bench/digest.ts renders: 12 items of the sample articles, about 70 KB of HTML.
  const f = await digestFixture();
  const articles = await sampleArticles();
  const items = Array.from({ length: 12 }, (_, i) => f.item(articles[i % 3]!, i));
  const rendered = await renderDigest(f.ctx, { schedule: { id: 'daily', name: '每日要闻' }, at: '2026-11-25T07:00:00+08:00', items, webUrl: 'https://news.example.com/editions/x.html' }, 'abcd0123');
  const t: MessageTemplate = {
    from: { name: '山西日报', address: 'digest@news.example.com' },
    replyTo: 'editor@news.example.com',
    subject: rendered.subject,
    listId: '山西日报 每日要闻 <daily.news.example.com>',
    html: rendered.html,
    text: rendered.text,
    nonce: rendered.nonce,
  };
  const recipient = (i: number): RecipientPart => {
    const unsubscribe = `https://news.example.com/unsubscribe?token=v1.u.${i.toString(16).padStart(32, '0')}.0.${'s'.repeat(43)}`;
    const name = i % 3 === 0 ? null : `读者${i}`;
    const address = `reader${i}@example.com`;
    return { messageId: `<daily-2026-11-25.${i}@news.example.com>`, date: new Date(1_795_000_000_000 + (i >> 4) * 1000), to: { name, address }, values: { name: name ?? '', email: address, unsubscribe_url: unsubscribe }, unsubscribeUrl: unsubscribe };
  };
  const splice = compileMessage(t, '--_NmP-0123456789abcdef-Part_1');
  const personalise = personaliser(rendered);
  const outgoing = (r: RecipientPart) => ({ ...t, ...personalise(r.values), messageId: r.messageId, date: r.date, to: r.to, unsubscribeUrl: r.unsubscribeUrl });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsaKey: DkimKey = { domainName: 'news.example.com', keySelector: 'rsa', privateKey: rsa };
  const edKey: DkimKey = { domainName: 'news.example.com', keySelector: 'ed', privateKey: ed };
  const plain = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const signing = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', dkim: rsaKey });
  const rawSigning = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim: rsaKey });
  const viaMailauth = async (message: Buffer, k: DkimKey, algorithm: string) => {
    const key = { signingDomain: k.domainName, selector: k.keySelector, privateKey: k.privateKey, algorithm };
    // mailauth signs with the signatureData entries only; its default header list leaves out
    // List-Unsubscribe-Post, which one-click unsubscribe needs signed.
    const { signatures } = await dkimSign(message, { ...key, headerList: [...DKIM_FIELDS], signatureData: [key] });
    return Buffer.concat([Buffer.from(signatures), message]);
  };
  const ours = { rsa: dkimSigner([rsaKey]), ed: dkimSigner([edKey]), both: dkimSigner([rsaKey, edKey]) };

  const sample = splice(recipient(1));
  // Each signer must really sign: a figure for a message left unsigned would mean nothing.
  const signed = async (how: string, m: Promise<Buffer> | Buffer, count = 1) => {
    const n = ((await m).toString('latin1').match(/^DKIM-Signature:/gm) ?? []).length;
    if (n !== count) throw new Error(`bench/splice.ts: ${how} wrote ${n} DKIM signatures, expected ${count}`);
  };
  const r1 = recipient(1);
  await signed('nodemailer', signing.sendMail(mailOptions(outgoing(r1))).then((i) => i.message as Buffer));
  await signed('nodemailer (raw)', rawSigning.sendMail({ envelope: envelopeOf(t, r1), raw: sample }).then((i) => i.message as Buffer));
  await signed('mailauth', viaMailauth(sample, rsaKey, 'rsa-sha256'));
  await signed('mailauth', viaMailauth(sample, edKey, 'ed25519-sha256'));
  await signed('mail/dkim.ts', ours.both(sample), 2);
  const halves = [sample.subarray(0, sample.length >> 1), sample.subarray(sample.length >> 1)];
  const rows = [
    // What no splicing can avoid: a fresh buffer of the message's size, filled.
    await perMessage(`floor: allocate and fill ${(sample.length / 1024).toFixed(0)} KB (Buffer.concat)`, 5000, 7, () => Buffer.concat(halves)),
    await perMessage(`splice: one message (${(Buffer.byteLength(t.html) / 1024).toFixed(0)} KB HTML)`, 5000, 7, (i) => splice(recipient(i))),
    await perMessage('nodemailer: personalise + compose one message', 300, 5, (i) => plain.sendMail(mailOptions(outgoing(recipient(i))))),
    await perMessage('DKIM rsa, today: nodemailer composes and signs', 100, 5, (i) => signing.sendMail(mailOptions(outgoing(recipient(i))))),
    await perMessage('DKIM rsa: splice + nodemailer signs the raw message', 100, 5, (i) => {
      const r = recipient(i);
      return rawSigning.sendMail({ envelope: envelopeOf(t, r), raw: splice(r) });
    }),
    await perMessage('DKIM rsa: splice + mailauth dkimSign', 100, 5, (i) => viaMailauth(splice(recipient(i)), rsaKey, 'rsa-sha256')),
    await perMessage('DKIM ed25519: splice + mailauth dkimSign', 200, 5, (i) => viaMailauth(splice(recipient(i)), edKey, 'ed25519-sha256')),
    await perMessage('DKIM rsa: splice + mail/dkim.ts', 200, 5, (i) => ours.rsa(splice(recipient(i)))),
    await perMessage('DKIM ed25519: splice + mail/dkim.ts', 500, 5, (i) => ours.ed(splice(recipient(i)))),
    await perMessage('DKIM rsa + ed25519: splice + mail/dkim.ts', 200, 5, (i) => ours.both(splice(recipient(i)))),
  ];
  plain.close();
  signing.close();
  rawSigning.close();
  return rows;
}
