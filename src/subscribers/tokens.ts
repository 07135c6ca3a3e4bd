// Signed tokens for confirm and unsubscribe links: HMAC-SHA-256 under the
// site secret, scoped, confirm tokens expiring. Pure: secret and clock come in.
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
const VERSION = 'v1';

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * `v1.<scope>.<subscriber id>.<expiry, base 36 seconds; 0 = never>.<signature>`:
 * URL-safe. Confirm tokens expire CONFIRM_TTL_MS after `issuedAt`;
 * unsubscribe tokens never, so a subscriber always gets the same one.
 */
export function signToken(secret: string, scope: TokenScope, subscriberId: string, issuedAt?: Date): string {
  if (scope === 'confirm' && !issuedAt) throw new Error('a confirm token needs the moment it is issued');
  const expiry = scope === 'confirm' ? Math.ceil((issuedAt!.getTime() + CONFIRM_TTL_MS) / 1000).toString(36) : '0';
  const body = `${VERSION}.${SCOPES[scope]}.${subscriberId}.${expiry}`;
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The subscriber id of a valid token of this scope; throws TokenError otherwise. */
export function verifyToken(secret: string, scope: TokenScope, token: string, now: Date): string {
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION || !/^[0-9a-f]{32}$/.test(parts[2]!) || !/^[0-9a-z]+$/.test(parts[3]!)) {
    throw new TokenError('malformed', 'the link is incomplete or malformed');
  }
  const body = parts.slice(0, 4).join('.');
  const given = Buffer.from(parts[4]!, 'base64url');
  const expected = mac(secret, body);
  // Constant-time: a forger learns nothing from how long the comparison took.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError('forged', 'the link has been altered or was not issued by this site');
  }
  if (parts[1] !== SCOPES[scope]) {
    throw new TokenError('wrong-scope', `the link is not a${scope === 'unsubscribe' ? 'n unsubscribe' : ' confirmation'} link`);
  }
  const expiry = parseInt(parts[3]!, 36);
  if (expiry !== 0 && now.getTime() > expiry * 1000) throw new TokenError('expired', 'the link has expired');
  return parts[2]!;
}
