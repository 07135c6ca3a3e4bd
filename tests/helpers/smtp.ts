// A real SMTP server on loopback (smtp-server, by nodemailer's authors) whose
// answers a test scripts: accept, 4xx, 5xx, drop the connection mid-DATA,
// answer slowly. Every accepted message is kept as received, bytes and all.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { expect } from 'vitest';

export interface Received {
  raw: Buffer;
  parsed: ParsedMail;
  rcptTo: string[];
  messageId: string;
  /** When the server accepted it (Date.now()). */
  at: number;
}

export type Verdict = 'accept' | { code: number; message: string } | 'drop';

export interface Behaviour {
  /** Decides a recipient (RCPT TO). */
  rcpt?: (address: string, attempt: number) => Verdict;
  /** Decides a message after its data arrived (or while it arrives, for 'drop'). */
  data?: (rcpt: string, attempt: number) => Verdict;
  /** Milliseconds to wait before answering DATA. */
  delayMs?: number;
}

export interface TestSmtp {
  port: number;
  url: string;
  received: Received[];
  /**
   * Connection errors the server reported. A client that dies mid-message
   * (a SIGKILLed send) resets its sockets: smtp-server reports that as an
   * 'error' event on the server, which would otherwise be an uncaught
   * exception in the test process.
   */
  errors: Error[];
  /** errors, apart from the resets a killed client leaves behind. */
  unexpectedErrors(): Error[];
  /** How many times each address was tried (RCPT TO). */
  attempts: Map<string, number>;
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtp(initial: Behaviour = {}): Promise<TestSmtp> {
  let behaviour = initial;
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const dataAttempts = new Map<string, number>();
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const a = address.address;
      const n = (attempts.get(a) ?? 0) + 1;
      attempts.set(a, n);
      const v = behaviour.rcpt?.(a, n) ?? 'accept';
      if (v === 'accept') return callback();
      if (v === 'drop') return callback(smtpError(421, 'closing'));
      callback(smtpError(v.code, v.message));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      const rcpt = session.envelope.rcptTo[0]?.address ?? '';
      const n = (dataAttempts.get(rcpt) ?? 0) + 1;
      dataAttempts.set(rcpt, n);
      const v = behaviour.data?.(rcpt, n) ?? 'accept';
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (v === 'drop' && chunks.length === 1) {
          // Pull the plug halfway through the message.
          for (const conn of (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections) {
            if (conn.id === session.id) conn._socket.destroy();
          }
        }
      });
      stream.on('end', () => {
        if (v === 'drop') return;
        const at = Date.now();
        setTimeout(async () => {
          if (v !== 'accept') return callback(smtpError(v.code, v.message));
          const raw = Buffer.concat(chunks);
          const parsed = await simpleParser(raw);
          received.push({ raw, parsed, rcptTo: session.envelope.rcptTo.map((r) => r.address), messageId: parsed.messageId ?? '', at });
          callback(null, 'Queued as test');
        }, behaviour.delayMs ?? 0);
      });
    },
  });
  const errors: Error[] = [];
  server.on('error', (err) => errors.push(err));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    errors,
    unexpectedErrors: () => errors.filter((e) => !['ECONNRESET', 'EPIPE'].includes((e as NodeJS.ErrnoException).code ?? '')),
    attempts,
    behave(b) {
      behaviour = b;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Closes a test's server (if one was started), then fails the test if the
 * server reported any error other than a killed client's reset.
 */
export async function closeChecked(smtp: TestSmtp | undefined): Promise<void> {
  const unexpected = smtp?.unexpectedErrors() ?? [];
  await smtp?.close();
  expect(unexpected).toEqual([]);
}

