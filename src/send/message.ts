// An edition's message: composed once per run (mail/splice.ts), then each
// subscriber's copy is the same bytes with their name, address and links
// spliced in. Used by delivery and by the digest preview, so the preview is
// exactly what a subscriber receives.
import type { Config } from '../config/schema.ts';
import { type MessageTemplate, type RecipientPart, compileMessage, envelopeOf } from '../mail/splice.ts';
import { listIdOf, senderOf } from '../mail/sender.ts';
import type { RawMessage } from '../mail/transport.ts';
import type { Edition } from '../model.ts';
import { subscriberLinks } from '../subscribers/links.ts';

/** Who a copy is for: a delivery's fields as frozen with the edition. */
export interface Addressee {
  subscriberId: string;
  email: string;
  name: string | null;
  messageId: string;
}

/** One subscriber's copy of the edition, finished bytes and envelope. */
export type PersonalMessage = (to: Addressee, date: Date) => RawMessage;

export function messageTemplate(config: Config, edition: Pick<Edition, 'schedule' | 'subject' | 'html' | 'text' | 'nonce'>): MessageTemplate {
  const sender = senderOf(config);
  return {
    from: sender.from,
    replyTo: sender.replyTo,
    subject: edition.subject,
    listId: listIdOf(config, edition.schedule, sender),
    html: edition.html,
    text: edition.text,
    nonce: edition.nonce,
  };
}

/**
 * Composes the edition once. `boundary` is random per run (from the caller):
 * a resend's bytes may differ there, never in what a reader sees or in its
 * Message-ID. `secret` signs each subscriber's unsubscribe and preferences links.
 */
export function personalMessages(config: Config, edition: Pick<Edition, 'schedule' | 'subject' | 'html' | 'text' | 'nonce'>, secret: string, boundary: string): PersonalMessage {
  const template = messageTemplate(config, edition);
  const splice = compileMessage(template, boundary);
  const baseUrl = config.site.baseUrl;
  return (to, date) => {
    const links = subscriberLinks(baseUrl, secret, to.subscriberId);
    const r: RecipientPart = {
      messageId: to.messageId,
      date,
      to: { name: to.name, address: to.email },
      values: { name: to.name ?? '', email: to.email, unsubscribe_url: links.unsubscribeUrl, preferences_url: links.preferencesUrl },
      unsubscribeUrl: links.unsubscribeUrl,
    };
    return { messageId: to.messageId, envelope: envelopeOf(template, r), raw: splice(r) };
  };
}

/** A multipart boundary from random hex (RFC 2046 characters only). */
export function boundaryOf(randomHex: string): string {
  return `--_bs-${randomHex}-Part_1`;
}
