// What sending mail needs of a transport: the digest delivery (send/) and
// the confirmation email (subscribers/) both hand finished messages to one.
// The factory (factory.ts) picks SMTP or the file outbox, and nothing else
// ever asks which one it got.

/** A finished message: rendered and personalised, for nodemailer to compose (confirmations). */
export interface OutgoingMessage {
  /** `<…@host>`, stable per (edition, subscriber) so a resend is recognisably the same message. */
  messageId: string;
  date: Date;
  from: { name: string; address: string };
  to: { name: string | null; address: string };
  replyTo?: string | undefined;
  subject: string;
  text: string;
  html: string;
  /** List-Id value, e.g. `每日要闻 <daily.news.example.com>`. */
  listId?: string | undefined;
  /** One-click unsubscribe URL (RFC 8058). */
  unsubscribeUrl?: string | undefined;
}

/**
 * A message already composed byte for byte (mail/splice.ts), headers and
 * MIME body with CRLF line ends: the digest's path. The transport signs it
 * (DKIM, when configured) and delivers it as it is.
 */
export interface RawMessage {
  /** The Message-ID inside `raw`, for the outbox's file name and for logs. */
  messageId: string;
  /** SMTP MAIL FROM and RCPT TO. */
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface SendReceipt {
  /** The server's answer (or where the outbox put the file). */
  response: string;
}

export type SendErrorKind =
  /** Try again later: 4xx, timeouts, dropped connections. */
  | 'temporary'
  /** Will never be accepted: 5xx. */
  | 'permanent'
  /** The address itself is dead (550/551/553): stop sending to it. */
  | 'bounce';

export class SendError extends Error {
  override name = 'SendError';
  constructor(
    message: string,
    readonly kind: SendErrorKind,
    /** The SMTP reply code, when there was one. */
    readonly code?: number,
    /** The server's whole answer. */
    readonly response?: string,
  ) {
    super(message);
  }
}

export interface Transport {
  /** For logs: `SMTP smtp.example.com:587` or `file outbox outbox/`. Never includes credentials. */
  readonly description: string;
  /** How many messages may be in flight at once. */
  readonly concurrency: number;
  /** Messages per second the relay allows, shared by every worker (mail.smtp.rateLimit); 0: no limit (the outbox). */
  readonly rateLimit: number;
  /** Composes a message with nodemailer, signs and delivers it (the confirmation email). */
  send(message: OutgoingMessage): Promise<SendReceipt>;
  /** Signs and delivers a message composed already (the digest, spliced per subscriber). */
  sendRaw(message: RawMessage): Promise<SendReceipt>;
  close(): Promise<void>;
}
