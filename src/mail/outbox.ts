// The file outbox: each message written whole (headers and MIME body) as an
// .eml file, atomically. What runs when no SMTP server is configured.
import path from 'node:path';
import { TransportUnavailableError } from '../errors.ts';
import { writeAtomic } from '../fs-atomic.ts';
import type { DkimSign } from './dkim.ts';
import { composeMessage } from './mime.ts';
import type { OutgoingMessage, RawMessage, SendReceipt, Transport } from './transport.ts';

/** `<daily-2026-11-25.ab12@news.example.com>` → `daily-2026-11-25.ab12@news.example.com.eml` */
export function outboxFileName(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
}

export class OutboxTransport implements Transport {
  readonly concurrency = 4;
  /** A folder has no relay to protect: mail.smtp.rateLimit is for SMTP. */
  readonly rateLimit = 0;
  readonly description: string;

  constructor(
    readonly dir: string,
    /** Signs every message (DKIM), as the SMTP transport does: the files are what a server would receive. */
    private readonly sign?: DkimSign,
  ) {
    this.description = `file outbox ${dir}/`;
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    return this.sendRaw(await composeMessage(message));
  }

  async sendRaw(message: RawMessage): Promise<SendReceipt> {
    const raw = this.sign ? await this.sign.async(message.raw) : message.raw;
    const file = path.join(this.dir, outboxFileName(message.messageId));
    // The same message id always lands in the same file: a resend replaces it.
    try {
      await writeAtomic(file, raw);
    } catch (err) {
      // A full disk, a read-only or missing folder: no message can be written,
      // so the run stops as it does when an SMTP server is down, instead of
      // spending every delivery's attempts on it.
      const e = err as NodeJS.ErrnoException;
      throw new TransportUnavailableError(`cannot write to the outbox ${this.dir}/ (${e.code ?? 'error'}: ${e.message.replace(/^\w+: /, '')})`);
    }
    return { response: `written to ${file}` };
  }

  async close(): Promise<void> {}
}
