// Signed tokens for confirm and unsubscribe links: HMAC-SHA-256 under the
// site secret, scoped, confirm tokens expiring and bound to the subscription
// they were issued for. Pure: secret and clock come in.
//
//   unsubscribe  v1.u.<subscriber id>.0.<signature>
//                never expires: every digest carries the same link, and old
//                emails must keep working
//   confirm      v2.c.<subscriber id>.<expiry>.<signature>
//                the signature also covers the subscription's confirm nonce
//                (not in the token), so a link from before an unsubscribe
//                cannot re-activate a later subscription
//
// Only the canonical spelling is accepted: lower-case hex id, base-36 expiry
// without leading zeros, unpadded base64url signature of exactly 32 bytes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BroadsheetError } from '../errors.ts';

export type TokenScope = 'confirm' | 'unsubscribe';

/** Confirm links work for seven days; unsubscribe links for ever (old emails must keep working). */
export const CONFIRM_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type TokenProblem = 'malformed' | 'forged' | 'wrong-scope' | 'expired';

export class TokenError extends BroadsheetError {
  override name = 'TokenError';
  readonly kind = 'invalid';
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
  }
}

const SCOPES: Record<TokenScope, string> = { confirm: 'c', unsubscribe: 'u' };
/** Unsubscribe tokens stay v1 (unbound); confirm tokens are v2 (bound). v1 confirm tokens predate binding. */
const VERSION: Record<TokenScope, string> = { confirm: 'v2', unsubscribe: 'v1' };
const SHAPE = /^(v[12])\.([cu])\.([0-9a-f]{32})\.(0|[1-9a-z][0-9a-z]{0,12})\.([A-Za-z0-9_-]{43})$/;
/** Longer than any canonical token; refused before any work. */
const MAX_LENGTH = 100;

function mac(secret: string, body: string, binding: string | null): Buffer {
  const h = createHmac('sha256', secret).update(body);
  if (binding !== null) h.update(`.${binding}`);
  return h.digest();
}

/**
 * A token for a subscriber. Confirm tokens need the moment they are issued
 * (they expire CONFIRM_TTL_MS later) and the subscription's confirm nonce.
 */
export function signToken(secret: string, scope: TokenScope, subscriberId: string, issuedAt?: Date, binding?: string): string {
  if (scope === 'confirm' && (!issuedAt || binding === undefined)) throw new Error('a confirm token needs its issue time and the subscription nonce');
  const expiry = scope === 'confirm' ? Math.ceil((issuedAt!.getTime() + CONFIRM_TTL_MS) / 1000).toString(36) : '0';
  const body = `${VERSION[scope]}.${SCOPES[scope]}.${subscriberId}.${expiry}`;
  return `${body}.${mac(secret, body, scope === 'confirm' ? binding! : null).toString('base64url')}`;
}

export interface ParsedToken {
  version: 'v1' | 'v2';
  scope: TokenScope;
  subscriberId: string;
  /** Seconds since the epoch; 0 = never. */
  expiry: number;
}

/** Reads a token's fields, refusing anything but the canonical spelling. Says nothing about its signature. */
export function parseToken(token: string): ParsedToken {
  const m = token.length <= MAX_LENGTH ? SHAPE.exec(token) : null;
  if (!m) throw new TokenError('malformed', 'the link is incomplete or malformed');
  const signature = Buffer.from(m[5]!, 'base64url');
  // The last character of 43 base64url characters carries 2 bits of padding; only zeros are canonical.
  if (signature.length !== 32 || signature.toString('base64url') !== m[5]) {
    throw new TokenError('malformed', 'the link is incomplete or malformed');
  }
  return { version: m[1] as 'v1' | 'v2', scope: m[2] === 'c' ? 'confirm' : 'unsubscribe', subscriberId: m[3]!, expiry: parseInt(m[4]!, 36) };
}

/**
 * The subscriber id of a valid token of this scope; throws TokenError
 * otherwise. A confirm token is checked against `binding`, the confirm
 * nonce the subscriber has now (null for a subscription made before
 * binding existed, which only an old, unbound v1 link matches).
 */
export function verifyToken(secret: string, scope: TokenScope, token: string, now: Date, binding: string | null = null): string {
  const t = parseToken(token);
  // The scope is written in the token: saying it is the wrong one gives nothing away.
  if (t.scope !== scope || (scope === 'unsubscribe' && t.version !== 'v1')) {
    throw new TokenError('wrong-scope', `the link is not a${scope === 'unsubscribe' ? 'n unsubscribe' : ' confirmation'} link`);
  }
  const body = token.slice(0, token.lastIndexOf('.'));
  const given = Buffer.from(token.slice(body.length + 1), 'base64url');
  // v1 tokens are unbound; a v1 confirm token is valid only for a subscription that has no nonce.
  const bound = t.version === 'v2' ? (binding ?? '') : binding === null ? null : undefined;
  const expected = bound === undefined ? null : mac(secret, body, bound);
  // Constant-time: a forger learns nothing from how long the comparison took.
  if (expected === null || !timingSafeEqual(given, expected)) {
    throw new TokenError('forged', 'the link has been altered, was not issued by this site, or belongs to an earlier subscription');
  }
  if (t.expiry !== 0 && now.getTime() > t.expiry * 1000) throw new TokenError('expired', 'the link has expired');
  return t.subscriberId;
}
