// SMTP through nodemailer's pooled transport, and what its errors mean for
// a delivery: try again, give up, or stop mailing the address.
import nodemailer from 'nodemailer';
import { TransportUnavailableError } from '../errors.ts';
import type { DkimSign } from './dkim.ts';
import { composeMessage } from './mime.ts';
import { type OutgoingMessage, type RawMessage, SendError, type SendReceipt, type Transport } from './transport.ts';

export interface SmtpOptions {
  /** `smtp://user:pass@host:587` or `smtps://…` */
  url: string;
  maxConnections: number;
  maxMessagesPerConnection: number;
  /** Messages per second across the pool; 0 for no limit. */
  rateLimit: number;
  /** Seconds to wait for the server at each step. */
  timeoutSeconds: number;
  /** Verify the server's TLS certificate (on unless the config turns it off). */
  tlsVerify: boolean;
  /** Signs every message (DKIM) before it goes out; nodemailer's own signing is not used, so nothing is signed twice. */
  sign?: DkimSign | undefined;
}

/** The address itself was refused: no such user, mailbox unavailable, bad mailbox name. */
const BOUNCE_CODES = new Set([550, 551, 553]);
/** Network failures where no message could be handed over: the server is unreachable. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EDNS', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAUTH', 'ETLS']);

/**
 * A hard bounce is the address being refused: 550/551/553 to RCPT TO, or an
 * enhanced status 5.1.x (bad mailbox, bad domain) at any stage. A 550 to the
 * message itself (5.7.x policy, spam, DMARC) is not the address's fault:
 * that delivery fails, the subscriber stays.
 */
function isHardBounce(code: number, command: string | undefined, response: string): boolean {
  if (!BOUNCE_CODES.has(code)) return false;
  if (/\b5\.1\.\d{1,3}\b/.test(response)) return true;
  if (/\b5\.[2-7]\.\d{1,3}\b/.test(response)) return false;
  return command === 'RCPT TO';
}

/** Classifies a nodemailer error. */
export function classifySmtpError(err: unknown): SendError | TransportUnavailableError {
  const e = err as {
    code?: string;
    originalCode?: string;
    command?: string;
    /** nodemailer: CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT. */
    timeoutType?: string;
    responseCode?: number;
    response?: string;
    message?: string;
    cause?: { code?: string };
  };
  const response = e.response ?? e.message ?? String(err);
  const code = e.responseCode;
  if (typeof code === 'number') {
    if (code === 535 || code === 534 || code === 530) {
      return new TransportUnavailableError(`the SMTP server refused the login: ${response}`);
    }
    if (code >= 400 && code < 500) return new SendError(`temporary failure: ${response}`, 'temporary', code, response);
    if (isHardBounce(code, e.command, response)) return new SendError(`address refused: ${response}`, 'bounce', code, response);
    return new SendError(`refused: ${response}`, 'permanent', code, response);
  }
  // nodemailer wraps socket errors (code ESOCKET/ECONNECTION) and keeps the system's code.
  const netCode = e.code === 'ECONNECTION' || e.code === 'ESOCKET' ? (e.originalCode ?? e.cause?.code ?? e.code) : e.code;
  const setupTimeout = e.code === 'ETIMEDOUT' && ['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT'].includes(e.timeoutType ?? '');
  if ((netCode && UNREACHABLE.has(netCode)) || setupTimeout) {
    // No session at all (refused, unresolvable, firewalled, silent): the whole
    // run stops rather than spend every delivery's attempts.
    return new TransportUnavailableError(`cannot reach the SMTP server (${setupTimeout ? e.timeoutType : netCode}): ${e.message ?? ''}`.trim());
  }
  // Timeouts and connections dropped mid-message: the message may or may not
  // have arrived; sending again (same Message-ID) is the safe side.
  return new SendError(`connection failed (${e.code ?? 'unknown'}): ${e.message ?? ''}`.trim(), 'temporary', undefined, response);
}

export class SmtpTransport implements Transport {
  readonly description: string;
  readonly concurrency: number;
  readonly rateLimit: number;
  private readonly mailer;
  private readonly sign: DkimSign | undefined;

  constructor(options: SmtpOptions) {
    this.sign = options.sign;
    const url = new URL(options.url);
    this.description = `SMTP ${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
    this.concurrency = options.maxConnections;
    this.rateLimit = options.rateLimit;
    const timeout = options.timeoutSeconds * 1000;
    this.mailer = nodemailer.createTransport({
      url: options.url,
      pool: true,
      maxConnections: options.maxConnections,
      maxMessages: options.maxMessagesPerConnection,
      ...(options.rateLimit > 0 ? { rateDelta: 1000, rateLimit: options.rateLimit } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: { rejectUnauthorized: options.tlsVerify },
    });
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    return this.sendRaw(await composeMessage(message));
  }

  async sendRaw(message: RawMessage): Promise<SendReceipt> {
    const raw = this.sign ? await this.sign.async(message.raw) : message.raw;
    try {
      // The pooled connections take the bytes as they are: no composing, no second signature.
      // (messageId only names the message in nodemailer's logs; the header is in raw.)
      const info = await this.mailer.sendMail({ envelope: message.envelope, raw, messageId: message.messageId });
      return { response: info.response };
    } catch (err) {
      throw classifySmtpError(err);
    }
  }

  async close(): Promise<void> {
    this.mailer.close();
  }
}
