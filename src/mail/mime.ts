// OutgoingMessage → nodemailer's message options: the headers bulk senders
// need, and a body encoding that never splits a multibyte character.
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWords } from 'nodemailer/lib/mime-funcs';
import type { OutgoingMessage, RawMessage } from './transport.ts';

/**
 * `List-Id: phrase <id>`: only the phrase may be an encoded word. Left to
 * itself nodemailer encodes the whole value, the <id> included, and list
 * filters no longer find it.
 */
export function listIdHeader(listId: string): { prepared: true; value: string } {
  const m = /^(.*)<([^<>]*)>\s*$/.exec(listId.replace(/[\r\n]+/g, ' '));
  // `prepared` bypasses nodemailer's own cleaning, so clean here: the id is
  // a dot-atom, the phrase one line without angle brackets.
  const id = (m?.[2] ?? listId).replace(/[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/g, '');
  const phrase = (m?.[1] ?? '').replace(/[\u0000-\u001f\u007f<>"]/g, '').trim();
  if (phrase === '') return { prepared: true, value: `<${id}>` };
  const encoded = /^[\x20-\x7e]*$/.test(phrase) ? `"${phrase}"` : encodeWords(phrase, 'B', 52);
  return { prepared: true, value: `${encoded} <${id}>` };
}

export function mailOptions(m: OutgoingMessage): SendMailOptions {
  const headers: Record<string, string | { prepared: true; value: string }> = {};
  if (m.unsubscribeUrl) {
    headers['List-Unsubscribe'] = `<${m.unsubscribeUrl}>`;
    // Set by hand: nodemailer's list.unsubscribePost option writes a
    // malformed "List-Unsubscribepost" header.
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  if (m.listId) headers['List-Id'] = listIdHeader(m.listId);
  return {
    messageId: m.messageId,
    date: m.date,
    from: { name: m.from.name, address: m.from.address },
    to: m.to.name ? { name: m.to.name, address: m.to.address } : m.to.address,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    subject: m.subject,
    // Text first, HTML second: multipart/alternative, best last.
    text: m.text,
    html: m.html,
    // base64 never splits a multibyte character and costs less CPU than
    // quoted-printable for Chinese text.
    textEncoding: 'base64',
    headers,
  };
}

/**
 * Composes a message with nodemailer into the bytes a server receives
 * (CRLF line ends), with its envelope: the path of the messages that are not
 * spliced (the confirmation email, the digest preview).
 */
export async function composeMessage(m: OutgoingMessage): Promise<RawMessage> {
  const node = new MailComposer(mailOptions(m)).compile();
  const raw = await new Promise<Buffer>((resolve, reject) => node.build((err, message) => (err ? reject(err) : resolve(message))));
  const envelope = node.getEnvelope();
  return { messageId: m.messageId, envelope: { from: envelope.from || m.from.address, to: envelope.to }, raw };
}
