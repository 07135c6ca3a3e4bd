// Delivery against a real SMTP server on loopback: what it receives, byte
// for byte, and the final state of every delivery for each kind of answer.
import { afterEach, describe, expect, it } from 'vitest';
import { editionStatus } from '../../src/send/status.ts';
import { decideUnsubscribe } from '../../src/subscribers/lifecycle.ts';
import { verifyToken } from '../../src/subscribers/tokens.ts';
import { SECRET, delivered, sendHarness } from '../helpers/send.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';

const T1 = '2026-11-25T07:00:00+08:00';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

describe('send over SMTP', () => {
  it('delivers one well-formed message per subscriber with the headers bulk senders need', async () => {
    smtp = await startSmtp();
    const h = await sendHarness({ subscribers: 4, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 4, failed: 0, skipped: 0 });
    expect(r.report.stopped).toBe('done');
    expect(smtp.received.map((m) => m.rcptTo[0]).sort()).toEqual(h.emails);

    const m = smtp.received.find((x) => x.rcptTo[0] === 'reader001@example.com')!;
    const p = m.parsed;
    expect(p.subject).toBe(r.edition.subject);
    expect(p.subject).toMatch(/^山西日报·每日要闻 2026年11月25日：.+（另有 2 篇）$/);
    expect(p.from?.value).toEqual([{ address: 'digest@news.example.com', name: '山西日报' }]);
    expect(p.messageId).toBe(`<${r.edition.id}.00000000000000000000000000000001@news.example.com>`);
    const raw = m.raw.toString('latin1');
    // The exact bytes of the one-click headers (nodemailer's own option would write "List-Unsubscribepost").
    expect(raw).toMatch(/(^|\r\n)List-Unsubscribe:(\r\n)? <https:\/\/news\.example\.com\/unsubscribe\?token=[\w.-]+>\r\n/);
    expect(raw).toMatch(/(^|\r\n)List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n/);
    expect(raw).not.toMatch(/List-Unsubscribepost/i);
    expect(raw).toMatch(/(^|\r\n)List-Id: =\?UTF-8\?B\?[^\r\n]*<daily\.news\.example\.com>\r\n/i);
    expect((p.headers.get('list') as { id?: { id?: string } })?.id?.id).toBe('daily.news.example.com');
    // Chinese subject survives as an encoded word; text first, HTML second, both base64.
    expect(raw).toMatch(/\r\nSubject: =\?UTF-8\?[BQ]\?/);
    const ct = raw.indexOf('Content-Type: text/plain');
    const ch = raw.indexOf('Content-Type: text/html');
    expect(raw).toMatch(/Content-Type: multipart\/alternative;/);
    expect(ct).toBeGreaterThan(0);
    expect(ch).toBeGreaterThan(ct);
    expect(raw.slice(ct, ch)).toContain('Content-Transfer-Encoding: base64');
    expect(raw.slice(ch)).toContain('Content-Transfer-Encoding: base64');
    // The unsubscribe link in the header and in both parts is this subscriber's, and valid.
    const url = /List-Unsubscribe:\s*<(https:\/\/news\.example\.com\/unsubscribe\?token=([\w.-]+))>/.exec(raw)!;
    expect(verifyToken(SECRET, 'unsubscribe', url[2]!, new Date())).toBe('00000000000000000000000000000001');
    expect(p.text).toContain(url[1]);
    expect(p.html).toContain(url[1]);
    expect(p.text).toContain('读者1您好');
  });

  it('sends nothing when nothing is new, and no edition', async () => {
    smtp = await startSmtp();
    const h = await sendHarness({ subscribers: 2, smtpUrl: smtp.url });
    delivered(await h.send(T1));
    const again = await h.send('2026-11-26T07:00:00+08:00');
    expect(again).toMatchObject({ kind: 'nothing-new', since: new Date(T1).toISOString() });
    expect(smtp.received).toHaveLength(2);
    expect(await h.withStore((s) => s.editions.list())).toHaveLength(1);
  });

  it('changes nothing on a dry run', async () => {
    smtp = await startSmtp();
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url });
    const dry = await h.send(T1, { dryRun: true });
    expect(dry).toMatchObject({ kind: 'dry-run', plan: { recipients: 3, itemIds: expect.any(Array) } });
    if (dry.kind === 'dry-run') expect(dry.plan.itemIds).toHaveLength(3);
    expect(smtp.received).toHaveLength(0);
    expect(await h.withStore((s) => s.editions.list())).toEqual([]);
    // …and the real run afterwards sends exactly what the dry run said.
    const r = delivered(await h.send(T1));
    expect(r.edition.itemCount).toBe(3);
  });

  it('retries 451s with backoff until accepted', async () => {
    smtp = await startSmtp({ rcpt: (a, n) => (a.endsWith('1@example.com') && n < 3 ? { code: 451, message: '4.7.1 try later' } : 'accept') });
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 3, failed: 0, skipped: 0 });
    expect(r.report.retriesScheduled).toBe(2);
    expect(smtp.attempts.get('reader001@example.com')).toBe(3);
    expect(smtp.received.filter((m) => m.rcptTo[0] === 'reader001@example.com')).toHaveLength(1);
  });

  it('gives up on a 4xx after the configured attempts and says so honestly', async () => {
    smtp = await startSmtp({ rcpt: (a) => (a === 'reader002@example.com' ? { code: 452, message: '4.2.2 mailbox full' } : 'accept') });
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 2, failed: 1, skipped: 0 });
    expect(smtp.attempts.get('reader002@example.com')).toBe(3);
    const [edition] = await h.withStore((s) => s.editions.list());
    expect(edition!.counts.failed).toBe(1);
  });

  it('fails a 550 at once, keeps the answer, and bounces the address', async () => {
    smtp = await startSmtp({ rcpt: (a) => (a === 'reader000@example.com' ? { code: 550, message: '5.1.1 no such user' } : 'accept') });
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 2, failed: 1, skipped: 0 });
    expect(r.report.bouncedNow).toBe(1);
    expect(smtp.attempts.get('reader000@example.com')).toBe(1);
    const sub = await h.withStore((s) => s.subscribers.get({ email: 'reader000@example.com' }));
    expect(sub).toMatchObject({ status: 'bounced', bounceReason: expect.stringContaining('550 5.1.1 no such user') });
    // No further editions for a bounced address.
    await h.withStore((s) => s.items.recordSources([], new Date()));
    expect(await h.withStore((s) => s.subscribers.count({ status: 'active', schedule: 'daily' }))).toBe(2);
  });

  it('fails other 5xx answers at once without bouncing the subscriber', async () => {
    smtp = await startSmtp({ data: (rcpt) => (rcpt === 'reader001@example.com' ? { code: 554, message: '5.7.1 message rejected as spam' } : 'accept') });
    const h = await sendHarness({ subscribers: 2, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts.failed).toBe(1);
    expect(r.report.bouncedNow).toBe(0);
    expect((await h.withStore((s) => s.subscribers.get({ email: 'reader001@example.com' })))?.status).toBe('active');
  });

  it('resends a message whose connection dropped mid-DATA, once accepted', async () => {
    smtp = await startSmtp({ data: (rcpt, n) => (rcpt === 'reader001@example.com' && n === 1 ? 'drop' : 'accept') });
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 3, failed: 0, skipped: 0 });
    expect(smtp.received.filter((m) => m.rcptTo[0] === 'reader001@example.com')).toHaveLength(1);
  });

  it('copes with a slow server, and retries one slower than the timeout', async () => {
    smtp = await startSmtp({ delayMs: 300 });
    const h = await sendHarness({ subscribers: 3, smtpUrl: smtp.url, config: { mail: { smtp: { maxConnections: 2, rateLimit: 0, timeoutSeconds: 1 } } } });
    const r = delivered(await h.send(T1));
    expect(r.report.counts.sent).toBe(3);
    smtp.behave({ delayMs: 1500 });
    const h2 = await sendHarness({ subscribers: 1, smtpUrl: smtp.url, config: { mail: { smtp: { maxConnections: 1, rateLimit: 0, timeoutSeconds: 1 }, retry: { attempts: 2, baseDelaySeconds: 0.05, maxDelaySeconds: 0.1 } } } });
    const slow = delivered(await h2.send(T1));
    // Timed out both times: failed, never marked sent (the server may still deliver; a resend keeps its Message-ID).
    expect(slow.report.counts).toEqual({ queued: 0, sending: 0, sent: 0, failed: 1, skipped: 0 });
  }, 30_000);

  it('stops with the server down, marks nothing sent, and continues on the next run', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close();
    const h = await sendHarness({ subscribers: 3, smtpUrl: `smtp://127.0.0.1:${port}` });
    const down = delivered(await h.send(T1));
    expect(down.report.stopped).toBe('transport-unavailable');
    expect(down.report.problem).toMatch(/ECONNREFUSED/);
    expect(down.report.counts).toEqual({ queued: 3, sending: 0, sent: 0, failed: 0, skipped: 0 });
    smtp = await startSmtp();
    const again = delivered(await h.send('2026-11-25T07:30:00+08:00', { smtpUrl: smtp.url }));
    expect(again.resumed).toBe(true);
    expect(again.edition.id).toBe(down.edition.id);
    expect(again.report.counts).toEqual({ queued: 0, sending: 0, sent: 3, failed: 0, skipped: 0 });
    expect(smtp.received).toHaveLength(3);
  });

  it('does not mail someone who unsubscribed while their edition waited', async () => {
    smtp = await startSmtp();
    const port = smtp.port;
    await smtp.close();
    const h = await sendHarness({ subscribers: 3, smtpUrl: `smtp://127.0.0.1:${port}` });
    delivered(await h.send(T1));
    await h.withStore((s) => s.subscribers.change({ email: 'reader001@example.com' }, (c) => decideUnsubscribe(c, new Date().toISOString())));
    smtp = await startSmtp();
    const again = delivered(await h.send(T1, { smtpUrl: smtp.url }));
    expect(again.report.counts).toEqual({ queued: 0, sending: 0, sent: 2, failed: 0, skipped: 1 });
    expect(smtp.received.map((m) => m.rcptTo[0]).sort()).toEqual(['reader000@example.com', 'reader002@example.com']);
    expect(editionStatus(again.report.counts)).toBe('sent');
  });

  it('keeps the Message-ID of a resent copy', async () => {
    smtp = await startSmtp({ data: (rcpt, n) => (rcpt === 'reader000@example.com' && n === 1 ? 'drop' : 'accept') });
    const h = await sendHarness({ subscribers: 1, smtpUrl: smtp.url });
    const r = delivered(await h.send(T1));
    const [m] = smtp.received;
    expect(m!.messageId).toBe(`<${r.edition.id}.00000000000000000000000000000000@news.example.com>`);
    const row = await h.withStore(async (s) => (await s.editions.claim(r.edition.id, 'test', new Date(), 10, new Date(new Date().getTime() + 60_000))).length);
    expect(row).toBe(0);
  });
});
