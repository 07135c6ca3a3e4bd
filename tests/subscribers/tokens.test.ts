import { describe, expect, it } from 'vitest';
import { CONFIRM_TTL_MS, TokenError, signToken, verifyToken } from '../../src/subscribers/tokens.ts';

const SECRET = 'a'.repeat(64);
const ID = '0123456789abcdef0123456789abcdef';
const NOW = new Date('2026-11-25T00:00:00Z');

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err.problem;
    throw err;
  }
  return 'valid';
}

describe('tokens', () => {
  it('accepts a valid token of its scope and returns the subscriber id', () => {
    expect(verifyToken(SECRET, 'confirm', signToken(SECRET, 'confirm', ID, NOW), NOW)).toBe(ID);
    expect(verifyToken(SECRET, 'unsubscribe', signToken(SECRET, 'unsubscribe', ID, NOW), NOW)).toBe(ID);
  });

  it('expires confirm tokens after seven days but never unsubscribe tokens', () => {
    const confirm = signToken(SECRET, 'confirm', ID, NOW);
    expect(problem(() => verifyToken(SECRET, 'confirm', confirm, new Date(NOW.getTime() + CONFIRM_TTL_MS - 1000)))).toBe('valid');
    expect(problem(() => verifyToken(SECRET, 'confirm', confirm, new Date(NOW.getTime() + CONFIRM_TTL_MS + 1000)))).toBe('expired');
    const unsub = signToken(SECRET, 'unsubscribe', ID, NOW);
    expect(problem(() => verifyToken(SECRET, 'unsubscribe', unsub, new Date('2036-01-01T00:00:00Z')))).toBe('valid');
  });

  it('gives each subscriber one stable unsubscribe token', () => {
    expect(signToken(SECRET, 'unsubscribe', ID, NOW)).toBe(signToken(SECRET, 'unsubscribe', ID, new Date('2030-01-01T00:00:00Z')));
  });

  it('rejects the wrong scope', () => {
    expect(problem(() => verifyToken(SECRET, 'unsubscribe', signToken(SECRET, 'confirm', ID, NOW), NOW))).toBe('wrong-scope');
    expect(problem(() => verifyToken(SECRET, 'confirm', signToken(SECRET, 'unsubscribe', ID, NOW), NOW))).toBe('wrong-scope');
  });

  it('rejects a token altered in any one character', () => {
    const token = signToken(SECRET, 'confirm', ID, NOW);
    for (let i = 0; i < token.length; i++) {
      const ch = token[i] === 'a' ? 'b' : 'a';
      const altered = token.slice(0, i) + ch + token.slice(i + 1);
      expect(['forged', 'malformed', 'wrong-scope']).toContain(problem(() => verifyToken(SECRET, 'confirm', altered, NOW)));
    }
  });

  it('rejects a token signed with a different secret, and garbage', () => {
    expect(problem(() => verifyToken('b'.repeat(64), 'confirm', signToken(SECRET, 'confirm', ID, NOW), NOW))).toBe('forged');
    for (const junk of ['', 'x', 'v1.c.nothex.0.sig', `v1.c.${ID}.0`, `v2.c.${ID}.0.abc`, '../../etc/passwd']) {
      expect(problem(() => verifyToken(SECRET, 'confirm', junk, NOW))).toBe('malformed');
    }
  });
});
