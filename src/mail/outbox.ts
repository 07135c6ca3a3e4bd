// The file outbox: each message written whole (headers and MIME body) as an
// .eml file, atomically. What runs when no SMTP server is configured.
import path from 'node:path';
import nodemailer from 'nodemailer';
import { writeAtomic } from '../fs-atomic.ts';
import { mailOptions } from './mime.ts';
import type { OutgoingMessage, SendReceipt, Transport } from './transport.ts';
import type { DkimOptions } from './smtp.ts';

/** `<daily-2026-11-25.ab12@news.example.com>` → `daily-2026-11-25.ab12@news.example.com.eml` */
export function outboxFileName(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
}

/** The whole message, headers and MIME body, as an SMTP server would receive it. */
export async function composeEml(message: OutgoingMessage, dkim?: DkimOptions): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...(dkim ? { dkim } : {}) });
  try {
    return (await composer.sendMail(mailOptions(message))).message as Buffer;
  } finally {
    composer.close();
  }
}

export class OutboxTransport implements Transport {
  readonly concurrency = 4;
  readonly description: string;
  private readonly composer;

  constructor(
    readonly dir: string,
    dkim?: DkimOptions,
  ) {
    this.description = `file outbox ${dir}/`;
    // streamTransport runs nodemailer's whole pipeline (DKIM included) and
    // hands back the bytes an SMTP server would have received.
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...(dkim ? { dkim } : {}) });
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const info = await this.composer.sendMail(mailOptions(message));
    const file = path.join(this.dir, outboxFileName(message.messageId));
    // The same message id always lands in the same file: a resend replaces it.
    await writeAtomic(file, info.message as Buffer);
    return { response: `written to ${file}` };
  }

  async close(): Promise<void> {
    this.composer.close();
  }
}
