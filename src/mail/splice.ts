// Compose once, splice per recipient: an edition's MIME message is built
// once, and each subscriber's copy is that message with their few bytes
// spliced in.
//
// nodemailer composes every message from scratch: it parses the addresses,
// encodes and folds every header and base64-encodes the 70 KB HTML part. For
// the recipients of one edition all of it is the same but for a few bytes:
// To, Message-ID, Date, List-Unsubscribe, and the name, address and
// unsubscribe link inside both parts. Here everything else is encoded once.
//
// Base64 turns each 3 bytes into 4 characters, so a run encoded on its own
// can be joined to the next one only if its length is a multiple of 3 (no
// padding in the middle). Each part is cut at its placeholders; every static
// segment is encoded ahead of time three ways, starting 0, 1 or 2 bytes into
// it, each cut to a multiple of 3 bytes. Per recipient, a value's bytes plus
// the 0–2 bytes left over from the segment before are topped up to a multiple
// of 3 with the first bytes of the segment after, and that variant of the
// next segment follows. The per-recipient runs are a few dozen bytes; the
// precomputed ones are copied as they are. Every encoded run ends its last
// line, so lines vary in length but never pass 76 characters, and each is a
// whole number of 4-character groups. The decoded part is exactly the
// personalised text.
//
// Headers are encoded and folded by nodemailer's own functions, so a spliced
// message's headers are byte for byte those nodemailer writes for the same
// message (src/send/mime.ts mailOptions), in the same order.
import { buildHeaderValue, foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { listIdHeader } from './mime.ts';
import { escapeHtml } from '../text/html.ts';
import { type PlaceholderKey, asText } from './placeholders.ts';

/** The same for every recipient of an edition. */
export interface MessageTemplate {
  from: { name: string; address: string };
  replyTo?: string | undefined;
  subject: string;
  /** List-Id value, e.g. `每日要闻 <daily.news.example.com>`. */
  listId?: string | undefined;
  /** Rendered once, with placeholders carrying `nonce` (mail/placeholders.ts). */
  html: string;
  text: string;
  nonce: string;
}

/** What differs per recipient. */
export interface RecipientPart {
  /** `<…@host>` */
  messageId: string;
  date: Date;
  to: { name: string | null; address: string };
  /** Placeholder values, unescaped; a missing one fills in as ''. */
  values: Partial<Record<PlaceholderKey, string>>;
  /** One-click unsubscribe URL: writes List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) when set. */
  unsubscribeUrl?: string | undefined;
}

/** Returns the whole message (headers and MIME body, CRLF line ends) for one recipient. */
export type SpliceMessage = (r: RecipientPart) => Buffer;

/** RFC 2046 boundary characters (without space); a base64 line can never start with "--", so any such boundary is safe. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
const LINE = 76;
/** 57 bytes encode to one 76-character line. */
const LINE_BYTES = (LINE / 4) * 3;
const CRLF = Buffer.from('\r\n');

/**
 * Does once per edition everything that is the same for every recipient; the
 * returned function does only the per-recipient work. `boundary` is the
 * multipart boundary (random, from the caller: this module reads no clock
 * and no random source).
 */
export function compileMessage(t: MessageTemplate, boundary: string): SpliceMessage {
  if (!BOUNDARY.test(boundary)) throw new Error(`compileMessage: boundary "${boundary}" is not 1–70 RFC 2046 characters`);
  // The same encoder nodemailer runs over the headers (base64 words, as mailOptions asks with textEncoding).
  const node = new MimeNode(false, { textEncoding: 'B' });
  const header = (key: string, value: Parameters<MimeNode['encodeHeaderValue']>[1]): string => {
    const encoded = node.encodeHeaderValue(key, value);
    // nodemailer leaves out a header whose value is blank (an empty Subject).
    return encoded.trim() === '' ? '' : `${foldLines(`${key}: ${encoded}`, LINE)}\r\n`;
  };

  // nodemailer's order: custom headers (List-Unsubscribe, List-Unsubscribe-Post, List-Id), From, To,
  // Reply-To, Subject, Message-ID, Date, MIME-Version, Content-Type.
  const unsubscribePost = Buffer.from('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
  const fromBlock = Buffer.from((t.listId ? `List-ID: ${listIdHeader(t.listId).value}\r\n` : '') + header('From', { name: t.from.name, address: t.from.address }));
  const subjectBlock = Buffer.from((t.replyTo ? header('Reply-To', t.replyTo) : '') + header('Subject', t.subject));
  const partHeaders = (type: string) => `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  const bodyStart = Buffer.from(
    `MIME-Version: 1.0\r\n${foldLines(`Content-Type: ${buildHeaderValue({ value: 'multipart/alternative', params: { boundary } })}`, LINE)}\r\n\r\n` +
      partHeaders('text/plain'),
  );
  const between = Buffer.from(partHeaders('text/html'));
  const end = Buffer.from(`--${boundary}--\r\n`);

  const text = compilePart(t.text, t.nonce, asText);
  const html = compilePart(t.html, t.nonce, escapeHtml);
  const scratch = new Scratch();
  let lastDate = NaN;
  let dateHeader = '';

  return (r) => {
    const out = new Assembly();
    if (r.unsubscribeUrl) {
      out.add(`${foldLines(`List-Unsubscribe: <${headerSafeUrl(r.unsubscribeUrl)}>`, LINE)}\r\n`);
      out.add(unsubscribePost);
    }
    out.add(fromBlock);
    out.add(header('To', r.to.name ? { name: r.to.name, address: r.to.address } : r.to.address));
    out.add(subjectBlock);
    out.add(header('Message-ID', r.messageId));
    // Most recipients of a batch share the second they were sent in.
    if (r.date.getTime() !== lastDate) {
      lastDate = r.date.getTime();
      dateHeader = header('Date', r.date);
    }
    out.add(dateHeader);
    out.add(bodyStart);
    text(r.values, scratch, out);
    out.add(between);
    html(r.values, scratch, out);
    out.add(end);
    return out.toBuffer();
  };
}

/** The SMTP envelope for a spliced message (nodemailer normalises the addresses as it does for the headers). */
export function envelopeOf(t: MessageTemplate, r: RecipientPart): { from: string; to: string[] } {
  return { from: t.from.address, to: [r.to.address] };
}

/**
 * A URL as RFC 2369 wants it between angle brackets: visible ASCII, with
 * anything else percent-encoded. (nodemailer would turn a URL holding a quote
 * or a non-ASCII character into encoded-words, which no client reads as a URL;
 * for every other URL the result is the same as nodemailer's.)
 */
function headerSafeUrl(url: string): string {
  return url.replace(/[^\x21-\x7e]|["<>]/gu, (c) => encodeURIComponent(c));
}

/** A static segment encoded from `skip` bytes in: the bytes before go to the run before, the 0–2 after to the run after. */
interface Variant {
  head: Buffer;
  /** Base64 lines, each ending in CRLF. */
  core: Buffer;
  tail: Buffer;
}

type FillPart = (values: Partial<Record<PlaceholderKey, string>>, scratch: Scratch, out: Assembly) => void;

/**
 * Segments and values are turned into UTF-8 apart; placeholders are ASCII, so
 * for well-formed text (all the pipeline makes) the bytes are those of the
 * joined string.
 */
function compilePart(template: string, nonce: string, escape: (value: string) => string): FillPart {
  // The same split as placeholders.ts compileFill: an unknown key fills in as ''.
  const parts = template.split(new RegExp(`%%bs-${nonce}-([a-z_]+)%%`));
  const segments: Buffer[] = [];
  const keys: PlaceholderKey[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) segments.push(Buffer.from(parts[i]!));
    else keys.push(parts[i] as PlaceholderKey);
  }
  // variants[i][skip]: null when the segment is too short to leave a whole group after `skip`; it then joins the run around it.
  const variants = segments.map((s) =>
    [0, 1, 2].map((skip): Variant | null => {
      const whole = Math.floor((s.length - skip) / 3) * 3;
      if (whole <= 0) return null;
      return { head: s.subarray(0, skip), core: base64Lines(s.subarray(skip, skip + whole)), tail: s.subarray(skip + whole) };
    }),
  );
  const distinct = [...new Set(keys)];
  const slot = keys.map((k) => distinct.indexOf(k));

  return (values, scratch, out) => {
    const filled = distinct.map((k) => escape((Object.hasOwn(values, k) ? values[k] : undefined) ?? ''));
    const before = out.length;
    scratch.reset();
    for (let i = 0; i < segments.length; i++) {
      if (i > 0) scratch.write(filled[slot[i - 1]!]!);
      const v = variants[i]![(3 - (scratch.length % 3)) % 3]!;
      if (v === null) {
        scratch.append(segments[i]!);
        continue;
      }
      scratch.append(v.head);
      if (scratch.length > 0) out.add(scratch.encode());
      out.add(v.core);
      scratch.reset();
      scratch.append(v.tail);
    }
    if (scratch.length > 0) out.add(scratch.encode());
    // An empty part still needs the line break that belongs to the next boundary.
    if (out.length === before) out.add(CRLF);
  };
}

/** Base64 in lines of at most 76 characters, each ending in CRLF. */
function base64Lines(bytes: Buffer): Buffer {
  return Buffer.from(wrap(bytes.toString('base64')), 'latin1');
}

function wrap(b64: string): string {
  if (b64.length <= LINE) return `${b64}\r\n`;
  let out = '';
  for (let i = 0; i < b64.length; i += LINE) out += `${b64.slice(i, i + LINE)}\r\n`;
  return out;
}

/** The bytes of one per-recipient run, reused from message to message. */
class Scratch {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  append(bytes: Buffer): void {
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve(text.length * 3);
    this.length += this.buf.write(text, this.length, 'utf8');
  }

  /** This run in base64 lines; its length is a multiple of 3 except for a part's last run. */
  encode(): string {
    return this.length <= LINE_BYTES ? `${this.buf.toString('base64', 0, this.length)}\r\n` : wrap(this.buf.toString('base64', 0, this.length));
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
}

/** The pieces of one message, copied once into a Buffer of the right size. */
class Assembly {
  private readonly pieces: (Buffer | string)[] = [];
  private bytes = 0;

  get length(): number {
    return this.pieces.length;
  }

  add(piece: Buffer | string): void {
    this.pieces.push(piece);
    this.bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (const p of this.pieces) at += typeof p === 'string' ? out.write(p, at, 'utf8') : p.copy(out, at);
    return out;
  }
}
