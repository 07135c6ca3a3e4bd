// DKIM signatures (RFC 6376, relaxed/relaxed) for finished messages, such as
// the ones splice.ts produces.
//
// A spliced body differs per recipient, so each message needs its own body
// hash and signature. nodemailer's signer parses the PEM key again for every
// message and runs the message through three streams; parsing an RSA key
// costs more than the signature itself. Here the keys are parsed once, the
// header block is found with one search, and a body that is already in
// relaxed form (base64 lines, as splice writes) is hashed as it is.
//
// Keys may be RSA (rsa-sha256) or Ed25519 (ed25519-sha256, RFC 8463); with
// both, each message gets two signatures, RSA for the receivers that verify
// only RSA.
import { type KeyObject, createHash, createPrivateKey, sign } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { promisify } from 'node:util';

export interface DkimKey {
  /** The d= domain. */
  domainName: string;
  /** The s= selector: the key's DNS record is `<selector>._domainkey.<domain>`. */
  keySelector: string;
  /** PEM (PKCS#8 or PKCS#1). */
  privateKey: string;
}

/**
 * The fields signed when present, in h= order: what RFC 6376 §5.4.1 asks
 * for, both List-Unsubscribe fields (RFC 8058 one-click counts only when the
 * signature covers them), and the MIME fields that say how to read the body.
 */
export const DKIM_FIELDS: readonly string[] = [
  'From',
  'To',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'MIME-Version',
  'Content-Type',
];

/**
 * Prepends one DKIM-Signature field per key to a whole message (CRLF line
 * ends); `async` does the same with the signing off the main thread.
 */
export type DkimSign = ((message: Buffer) => Buffer) & { async(message: Buffer): Promise<Buffer> };

interface Signer {
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  key: KeyObject;
  /** The field up to `s=…;`, ready for h=, bh= and b=. */
  prefix: string;
}

export function dkimSigner(keys: readonly DkimKey[], fields: readonly string[] = DKIM_FIELDS): DkimSign {
  if (keys.length === 0) throw new Error('dkimSigner: no keys');
  const signers = keys.map((k): Signer => {
    const key = createPrivateKey(k.privateKey);
    const type = key.asymmetricKeyType;
    if (type !== 'rsa' && type !== 'ed25519') throw new Error(`dkimSigner: the key for ${k.keySelector}._domainkey.${k.domainName} is ${type}; DKIM signs with rsa or ed25519`);
    const algorithm = type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256';
    const domain = domainToASCII(k.domainName) || k.domainName;
    return { algorithm, key, prefix: `DKIM-Signature: v=1; a=${algorithm}; c=relaxed/relaxed;\r\n d=${domain}; s=${k.keySelector};\r\n` };
  });
  const wanted = fields.map((f) => f.toLowerCase());

  /** What each key signs: the field to complete with b=, and the data its signature covers. */
  const prepare = (message: Buffer) => {
    const split = message.indexOf('\r\n\r\n');
    const headerEnd = split === -1 ? message.length : split + 2;
    const bodyHash = createHash('sha256').update(relaxedBody(split === -1 ? EMPTY : message.subarray(split + 4))).digest('base64');
    // latin1 keeps every byte of a UTF-8 header as one character, so the signed bytes are the sent bytes.
    const { canonical, names } = relaxedHeaders(message.toString('latin1', 0, headerEnd), wanted);
    return signers.map((s) => {
      const field = `${s.prefix}${foldList(names)}\r\n bh=${bodyHash};\r\n b=`;
      const data = Buffer.from(`${canonical}dkim-signature:${relaxedValue(field.slice(field.indexOf(':') + 1))}`, 'latin1');
      // RFC 8463: Ed25519 signs the SHA-256 hash of the header data, RSA hashes it itself.
      return s.algorithm === 'rsa-sha256'
        ? { field, hash: 'sha256', data, key: s.key }
        : { field, hash: null, data: createHash('sha256').update(data).digest(), key: s.key };
    });
  };
  const finish = (message: Buffer, fields: string[]) => Buffer.concat([Buffer.from(fields.join(''), 'latin1'), message]);
  const signed = (field: string, b: Buffer) => `${field}${fold(b.toString('base64'))}\r\n`;

  const signNow = (message: Buffer): Buffer => finish(message, prepare(message).map((p) => signed(p.field, sign(p.hash, p.data, p.key))));
  // The private-key operation (about a millisecond for RSA-2048) on libuv's
  // thread pool, so the lanes sending other messages are not held up by it.
  signNow.async = async (message: Buffer): Promise<Buffer> =>
    finish(message, await Promise.all(prepare(message).map(async (p) => signed(p.field, await signAsync(p.hash, p.data, p.key)))));
  return signNow;
}

const signAsync = promisify(sign) as (algorithm: string | null, data: Buffer, key: KeyObject) => Promise<Buffer>;

const EMPTY = Buffer.alloc(0);

/**
 * RFC 6376 §3.4.4. A body without tabs, double spaces or spaces at line
 * ends, ending in one CRLF, is already relaxed: hashed without a copy.
 */
function relaxedBody(body: Buffer): Buffer | string {
  const n = body.length;
  if (n === 0) return body;
  const tidy = body.indexOf(0x09) === -1 && body.indexOf('  ') === -1 && body.indexOf(' \r\n') === -1;
  // Exactly one CRLF at the end: a body of only CRLF, or ending in an empty line, loses them.
  const oneCrlfAtEnd = n > 2 && body[n - 2] === 0x0d && body[n - 1] === 0x0a && !(body[n - 4] === 0x0d && body[n - 3] === 0x0a);
  if (tidy && oneCrlfAtEnd) return body;
  const text = body
    .toString('latin1')
    .replace(/[ \t]+(?=\r\n|$)/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/(?:\r\n)+$/, '');
  return text === '' ? '' : Buffer.from(`${text}\r\n`, 'latin1');
}

/** RFC 6376 §3.4.2: the bottom-most instance of each wanted field, relaxed. */
function relaxedHeaders(block: string, wanted: readonly string[]): { canonical: string; names: string[] } {
  const last = new Map<string, string>();
  // A field is a line not starting with whitespace, plus the folded lines after it.
  for (const field of block.split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon > 0) last.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1));
  }
  let canonical = '';
  const names: string[] = [];
  for (const name of wanted) {
    const value = last.get(name);
    if (value === undefined) continue;
    canonical += `${name}:${relaxedValue(value)}\r\n`;
    names.push(name);
  }
  return { canonical, names };
}

function relaxedValue(value: string): string {
  return value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
}

/** ` h=a:b:…;` folded before a colon (RFC 6376 allows FWS there) so no line passes 76 characters. */
function foldList(names: readonly string[]): string {
  let out = ' h=';
  let line = out.length;
  names.forEach((name, i) => {
    const piece = i === 0 ? name : `:${name}`;
    if (i > 0 && line + piece.length + 1 > 76) {
      out += '\r\n ';
      line = 1;
    }
    out += piece;
    line += piece.length;
  });
  return `${out};`;
}

/** The b= value in lines of at most 76 characters after the ` b=` already written. */
function fold(b64: string): string {
  let out = b64.slice(0, 73);
  for (let i = 73; i < b64.length; i += 75) out += `\r\n ${b64.slice(i, i + 75)}`;
  return out;
}
