// Delivery under faults that need nothing beyond npm install: waits that
// pile up listeners, runs that die after claiming, an outbox that cannot be
// written, and the test SMTP server's own robustness against clients that
// die. (Disk full and a database connection killed mid-send are in
// tests/system/send-faults.test.ts: they need a small file system and
// PostgreSQL.)
import { getEventListeners } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../src/cli/interrupt.ts';
import { OutboxTransport, outboxFileName } from '../../src/mail/outbox.ts';
import { TransportUnavailableError } from '../../src/errors.ts';
import { delivered, sendHarness } from '../helpers/send.ts';
import { type TestSmtp, startSmtp } from '../helpers/smtp.ts';
import { tempDir } from '../helpers/tmp.ts';

const T1 = '2026-11-25T07:00:00+08:00';
let smtp: TestSmtp | undefined;

afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

describe('waiting', () => {
  it('leaves no abort listener behind, however many times it waits', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 25; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const pending = sleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await pending;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('retries many times without MaxListenersExceededWarning', async () => {
    smtp = await startSmtp({ rcpt: (a, n) => (a === 'reader000@example.com' && n < 15 ? { code: 451, message: '4.7.1 try later' } : 'accept') });
    const h = await sendHarness({
      subscribers: 2,
      smtpUrl: smtp.url,
      config: { mail: { retry: { attempts: 20, baseDelaySeconds: 0.001, maxDelaySeconds: 0.002 } } },
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const r = delivered(await h.send(T1, { signal: new AbortController().signal }));
      expect(r.report.counts.sent).toBe(2);
      expect(r.report.retriesScheduled).toBe(14);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

describe('runs that die', () => {
  it('charge no attempt for deliveries they claimed but never handed over', async () => {
    smtp = await startSmtp();
    const down = smtp.url;
    await smtp.close();
    // Two attempts: one 451, then accepted, if nothing else used up the budget.
    const h = await sendHarness({ subscribers: 1, smtpUrl: down, config: { mail: { retry: { attempts: 2, baseDelaySeconds: 0.01, maxDelaySeconds: 0.02 } } } });
    const frozen = delivered(await h.send(T1));
    expect(frozen.report.stopped).toBe('transport-unavailable');
    // Three runs die after claiming the delivery, before the server answered
    // (what a SIGKILL between claim and hand-over leaves); each next run
    // puts it back in the queue.
    await h.withStore(async (store) => {
      for (let run = 0; run < 3; run++) {
        await store.editions.claim(frozen.edition.id, `dead-${run}`, new Date(), 10, new Date(new Date().getTime() + 60_000));
        await store.editions.requeueAbandoned(frozen.edition.id, new Date(), (claimant) => claimant.startsWith('dead-'));
      }
    });
    smtp = await startSmtp({ rcpt: (_a, n) => (n === 1 ? { code: 451, message: '4.7.1 try later' } : 'accept') });
    const r = delivered(await h.send(T1, { smtpUrl: smtp.url }));
    expect(r.report.counts).toEqual({ queued: 0, sending: 0, sent: 1, failed: 0, skipped: 0 });
    expect(smtp.received).toHaveLength(1);
  });
});

describe('the file outbox', () => {
  it('stops the run as unavailable when it cannot be written, trying each message at most once', async () => {
    const dir = await tempDir();
    const notAFolder = path.join(dir, 'outbox');
    await writeFile(notAFolder, 'a file where the outbox folder should be');
    const h = await sendHarness({ subscribers: 5, smtpUrl: null, config: { paths: { outbox: notAFolder } } });
    const r = delivered(await h.send(T1));
    expect(r.report.stopped).toBe('transport-unavailable');
    expect(r.report.problem).toMatch(new RegExp(`^cannot write to the outbox ${notAFolder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/ \\((EEXIST|ENOTDIR): `));
    expect(r.report.counts).toEqual({ queued: 5, sending: 0, sent: 0, failed: 0, skipped: 0 });
    const attempts = await h.withStore(async (store) => (await store.editions.claim(r.edition.id, 'check', new Date(), 10, new Date(new Date().getTime() + 60_000))).map((d) => d.attempts));
    expect(attempts).toEqual([0, 0, 0, 0, 0]);
  });

  it('leaves no temporary file behind when a write fails', async () => {
    const dir = await tempDir();
    const outbox = new OutboxTransport(dir);
    const messageId = '<daily-1.abc@news.example.com>';
    // A folder where the message's file should go: the final rename fails after the temporary was written.
    await mkdir(path.join(dir, outboxFileName(messageId)));
    const message = {
      messageId,
      date: new Date('2026-11-25T07:00:00+08:00'),
      from: { name: '山西日报', address: 'digest@news.example.com' },
      to: { name: null, address: 'reader@example.com' },
      subject: '每日要闻',
      text: '正文',
      html: '<p>正文</p>',
    };
    await expect(outbox.send(message)).rejects.toBeInstanceOf(TransportUnavailableError);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await outbox.close();
  });
});

describe('the test SMTP server', () => {
  it('survives a client that resets its connection mid-transaction, and reports it', async () => {
    smtp = await startSmtp();
    const socket = connect(smtp.port, '127.0.0.1');
    let said = '';
    socket.setEncoding('utf8').on('data', (d: string) => (said += d));
    const waitFor = async (text: string) => {
      while (!said.includes(text)) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor('220 ');
    socket.write('EHLO test\r\n');
    await waitFor('250 ');
    socket.write('MAIL FROM:<a@example.com>\r\n');
    await waitFor('250 Accepted');
    // What a SIGKILLed sender's sockets do: a reset in the middle of a transaction.
    socket.resetAndDestroy();
    while (smtp.errors.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect((smtp.errors[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(smtp.unexpectedErrors()).toEqual([]);
  });
});
