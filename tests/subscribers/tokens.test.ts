import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIRM_TTL_MS, TokenError, signToken, verifyToken } from '../../src/subscribers/tokens.ts';

const SECRET = 'a'.repeat(64);
const ID = '0123456789abcdef0123456789abcdef';
const NOW = new Date('2026-11-25T00:00:00Z');
const NONCE = 'fedcba9876543210fedcba9876543210';

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
    expect(verifyToken(SECRET, 'confirm', signToken(SECRET, 'confirm', ID, NOW, NONCE), NOW, NONCE)).toBe(ID);
    expect(verifyToken(SECRET, 'unsubscribe', signToken(SECRET, 'unsubscribe', ID, NOW), NOW)).toBe(ID);
  });

  it('expires confirm tokens after seven days but never unsubscribe tokens', () => {
    const confirm = signToken(SECRET, 'confirm', ID, NOW, NONCE);
    expect(problem(() => verifyToken(SECRET, 'confirm', confirm, new Date(NOW.getTime() + CONFIRM_TTL_MS - 1000), NONCE))).toBe('valid');
    expect(problem(() => verifyToken(SECRET, 'confirm', confirm, new Date(NOW.getTime() + CONFIRM_TTL_MS + 1000), NONCE))).toBe('expired');
    const unsub = signToken(SECRET, 'unsubscribe', ID, NOW);
    expect(problem(() => verifyToken(SECRET, 'unsubscribe', unsub, new Date('2036-01-01T00:00:00Z')))).toBe('valid');
  });

  it('gives each subscriber one stable unsubscribe token', () => {
    expect(signToken(SECRET, 'unsubscribe', ID, NOW)).toBe(signToken(SECRET, 'unsubscribe', ID, new Date('2030-01-01T00:00:00Z')));
  });

  it('rejects the wrong scope', () => {
    expect(problem(() => verifyToken(SECRET, 'unsubscribe', signToken(SECRET, 'confirm', ID, NOW, NONCE), NOW))).toBe('wrong-scope');
    expect(problem(() => verifyToken(SECRET, 'confirm', signToken(SECRET, 'unsubscribe', ID, NOW), NOW))).toBe('wrong-scope');
  });

  it('rejects a token altered in any one character', () => {
    const token = signToken(SECRET, 'confirm', ID, NOW, NONCE);
    for (let i = 0; i < token.length; i++) {
      const ch = token[i] === 'a' ? 'b' : 'a';
      const altered = token.slice(0, i) + ch + token.slice(i + 1);
      expect(['forged', 'malformed', 'wrong-scope']).toContain(problem(() => verifyToken(SECRET, 'confirm', altered, NOW, NONCE)));
    }
  });

  it('rejects a token signed with a different secret, and garbage', () => {
    expect(problem(() => verifyToken('b'.repeat(64), 'confirm', signToken(SECRET, 'confirm', ID, NOW, NONCE), NOW, NONCE))).toBe('forged');
    for (const junk of ['', 'x', 'v1.c.nothex.0.sig', `v1.c.${ID}.0`, `v2.c.${ID}.0.abc`, '../../etc/passwd']) {
      expect(problem(() => verifyToken(SECRET, 'confirm', junk, NOW))).toBe('malformed');
    }
  });

  it('accepts only the canonical spelling: no extra, missing or re-padded characters', () => {
    const token = signToken(SECRET, 'unsubscribe', ID, NOW);
    const canonical = (t: string) => problem(() => verifyToken(SECRET, 'unsubscribe', t, NOW));
    expect(canonical(token)).toBe('valid');
    for (const extra of ['A', '=', '==', '.', ' ', '%00', '\n', 'AAAA']) expect(canonical(token + extra), JSON.stringify(extra)).not.toBe('valid');
    expect(canonical(token.slice(0, -1))).not.toBe('valid');
    expect(canonical(token.toUpperCase())).not.toBe('valid');
    expect(canonical(token.replace('.0.', '.00.'))).not.toBe('valid');
    // The last of 43 base64url characters carries two padding bits; a non-zero one decodes to the same bytes.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = alphabet[alphabet.indexOf(last) | 1]!;
    expect(Buffer.from(token.slice(-43, -1) + sameBytes, 'base64url')).toEqual(Buffer.from(token.slice(-43), 'base64url'));
    expect(canonical(token.slice(0, -1) + sameBytes)).toBe('malformed');
  });

  it('refuses every random mutation of a valid token (property)', () => {
    const tokens = [signToken(SECRET, 'unsubscribe', ID, NOW), signToken(SECRET, 'confirm', ID, NOW, NONCE)];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const original = tokens[which]!;
        let t = original;
        for (const m of mutations) {
          const at = m.at % (t.length + 1);
          t = m.kind === 'replace' ? t.slice(0, at) + m.ch + t.slice(at + 1) : m.kind === 'insert' ? t.slice(0, at) + m.ch + t.slice(at) : t.slice(0, at) + t.slice(at + 1);
        }
        fc.pre(t !== original);
        const scope = which === 0 ? 'unsubscribe' : 'confirm';
        expect(problem(() => verifyToken(SECRET, scope, t, NOW, which === 0 ? null : NONCE))).not.toBe('valid');
      }),
      { numRuns: 2000 },
    );
  });

  it('binds a confirm token to its subscription: another nonce, or none, is refused', () => {
    const token = signToken(SECRET, 'confirm', ID, NOW, NONCE);
    expect(problem(() => verifyToken(SECRET, 'confirm', token, NOW, NONCE))).toBe('valid');
    expect(problem(() => verifyToken(SECRET, 'confirm', token, NOW, '0'.repeat(32)))).toBe('forged');
    expect(problem(() => verifyToken(SECRET, 'confirm', token, NOW, null))).toBe('forged');
  });
});
