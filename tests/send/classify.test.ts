// What each kind of SMTP failure means for a delivery.
import { describe, expect, it } from 'vitest';
import { TransportUnavailableError } from '../../src/errors.ts';
import { listIdHeader } from '../../src/mail/mime.ts';
import { classifySmtpError } from '../../src/mail/smtp.ts';
import { SendError } from '../../src/mail/transport.ts';

const kind = (err: object) => {
  const c = classifySmtpError(Object.assign(new Error('x'), err));
  return c instanceof TransportUnavailableError ? 'unavailable' : (c as SendError).kind;
};

describe('SMTP error classification', () => {
  it.each([
    [{ responseCode: 451, response: '451 4.7.1 try later', command: 'RCPT TO' }, 'temporary'],
    [{ responseCode: 421, response: '421 closing', command: 'DATA' }, 'temporary'],
    [{ responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO' }, 'bounce'],
    [{ responseCode: 550, response: '550 mailbox unavailable', command: 'RCPT TO' }, 'bounce'],
    [{ responseCode: 553, response: '553 5.1.3 bad address syntax', command: 'RCPT TO' }, 'bounce'],
    [{ responseCode: 550, response: '550 5.1.1 user unknown', command: 'DATA' }, 'bounce'],
    // A policy rejection of the message is not the address's fault.
    [{ responseCode: 550, response: '550 5.7.1 rejected by DMARC policy', command: 'DATA' }, 'permanent'],
    [{ responseCode: 550, response: '550 5.7.1 spam', command: 'RCPT TO' }, 'permanent'],
    [{ responseCode: 554, response: '554 5.7.1 policy', command: 'DATA' }, 'permanent'],
    [{ responseCode: 552, response: '552 5.3.4 message too big', command: 'DATA' }, 'permanent'],
    [{ responseCode: 535, response: '535 5.7.8 bad credentials', command: 'AUTH PLAIN' }, 'unavailable'],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, 'unavailable'],
    [{ code: 'EDNS', command: 'CONN' }, 'unavailable'],
    [{ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', command: 'CONN' }, 'unavailable'],
    [{ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' }, 'unavailable'],
    // Timed out or dropped mid-message: maybe delivered, so resend with the same Message-ID.
    [{ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' }, 'temporary'],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'DATA' }, 'temporary'],
  ])('%j → %s', (err, expected) => {
    expect(kind(err)).toBe(expected);
  });

  it('keeps the server answer', () => {
    const e = classifySmtpError(Object.assign(new Error('x'), { responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO' })) as SendError;
    expect(e).toMatchObject({ code: 550, response: '550 5.1.1 no such user' });
  });
});

describe('List-Id header', () => {
  it('encodes only the phrase and keeps the id readable', () => {
    expect(listIdHeader('山西日报 每日要闻 <daily.news.example.com>').value).toMatch(/^=\?UTF-8\?B\?[^ ]+\?= <daily\.news\.example\.com>$/);
    expect(listIdHeader('News Daily <daily.news.example.com>').value).toBe('"News Daily" <daily.news.example.com>');
  });

  it('cannot be broken by what a schedule name holds', () => {
    expect(listIdHeader('A <b>\r\nBcc: x <daily.x.example>').value).toBe('"A b Bcc: x" <daily.x.example>');
    expect(listIdHeader('<we ird\r\n.id>').value).toBe('<weird.id>');
  });
});
