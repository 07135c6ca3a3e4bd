// Subscribing through the service, as the web pages will: confirmation
// email out, its link in, one-click unsubscribe, and a secret made once.
import { chmod, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openStore } from '../../src/store/open.ts';
import type { Subscriber } from '../../src/subscribers/lifecycle.ts';
import { parseEnvironment } from '../../src/config/env.ts';
import { loadSecret } from '../../src/subscribers/secret.ts';
import { confirmUrl, subscriberLinks } from '../../src/subscribers/links.ts';
import { confirm, subscribe, unsubscribeByToken } from '../../src/subscribers/service.ts';
import { TokenError, signToken } from '../../src/subscribers/tokens.ts';
import { tempDir } from '../helpers/tmp.ts';

const SECRET = 'q'.repeat(64);

async function deps() {
  const dir = await tempDir();
  const store = await openStore({ sqlitePath: path.join(dir, 'b.db') }, () => new Date());
  const sent: Subscriber[] = [];
  let now = new Date('2026-11-25T00:00:00Z');
  let n = 0;
  return {
    store,
    sent,
    setNow: (d: string) => (now = new Date(d)),
    d: {
      store: store.subscribers,
      config: configSchema.parse({}),
      clock: () => now,
      newId: () => (++n).toString(16).padStart(32, '0'),
      secret: SECRET,
      confirmations: { send: async (s: Subscriber) => void sent.push(s) },
    },
  };
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

describe('subscription service', () => {
  it('confirms with the link from the confirmation, unsubscribes with the one-click link, idempotently', async () => {
    const { store, sent, d, setNow } = await deps();
    try {
      const r = await subscribe(d, { email: 'Reader@Example.com', origin: 'web' });
      expect(r).toMatchObject({ outcome: 'created', confirmationSent: true });
      expect(sent.map((s) => s.email)).toEqual(['reader@example.com']);
      const link = confirmUrl(d.config.site.baseUrl, SECRET, sent[0]!, d.clock());
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8080\/confirm\?token=/);
      setNow('2026-11-26T00:00:00Z');
      expect((await confirm(d, tokenOf(link))).outcome).toBe('confirmed');
      expect((await confirm(d, tokenOf(link))).outcome).toBe('already-active');
      const unsub = subscriberLinks(d.config.site.baseUrl, SECRET, sent[0]!.id).unsubscribeUrl;
      // A confirm link cannot unsubscribe, nor the other way round.
      await expect(unsubscribeByToken(d, tokenOf(link))).rejects.toThrow(TokenError);
      await expect(confirm(d, tokenOf(unsub))).rejects.toThrow(TokenError);
      expect((await unsubscribeByToken(d, tokenOf(unsub))).outcome).toBe('unsubscribed');
      expect((await unsubscribeByToken(d, tokenOf(unsub))).outcome).toBe('already-unsubscribed');
      // The old confirm link does not bring them back.
      expect((await confirm(d, tokenOf(link))).outcome).toBe('not-pending');
      expect((await store.subscribers.get({ email: 'reader@example.com' }))?.status).toBe('unsubscribed');
    } finally {
      await store.close();
    }
  });

  it('never lets a confirm link from an earlier subscription re-activate a later one', async () => {
    const { store, sent, d, setNow } = await deps();
    try {
      await subscribe(d, { email: 'again@example.com', origin: 'web' });
      const first = tokenOf(confirmUrl(d.config.site.baseUrl, SECRET, sent[0]!, d.clock()));
      expect((await confirm(d, first)).outcome).toBe('confirmed');
      expect((await unsubscribeByToken(d, tokenOf(subscriberLinks(d.config.site.baseUrl, SECRET, sent[0]!.id).unsubscribeUrl))).outcome).toBe('unsubscribed');
      // They sign up again (same subscriber id): pending, a new confirmation.
      setNow('2026-11-25T06:00:00Z');
      expect((await subscribe(d, { email: 'again@example.com', origin: 'web' })).outcome).toBe('resubscribed');
      expect(sent).toHaveLength(2);
      expect(sent[1]!.id).toBe(sent[0]!.id);
      // The old link, still within its seven days, is refused and changes nothing …
      await expect(confirm(d, first)).rejects.toMatchObject({ problem: 'forged' });
      expect((await store.subscribers.get({ email: 'again@example.com' }))?.status).toBe('pending');
      // … while the new one confirms; asking again keeps both of this subscription's links working.
      const second = tokenOf(confirmUrl(d.config.site.baseUrl, SECRET, sent[1]!, d.clock()));
      expect((await subscribe(d, { email: 'again@example.com', origin: 'web' })).outcome).toBe('pending-again');
      const third = tokenOf(confirmUrl(d.config.site.baseUrl, SECRET, sent[2]!, d.clock()));
      expect((await confirm(d, third)).outcome).toBe('confirmed');
      expect((await confirm(d, second)).outcome).toBe('already-active');
    } finally {
      await store.close();
    }
  });

  it('rejects an expired or altered link and changes nothing', async () => {
    const { store, sent, d, setNow } = await deps();
    try {
      await subscribe(d, { email: 'a@example.com', origin: 'web' });
      const token = signToken(SECRET, 'confirm', sent[0]!.id, d.clock(), sent[0]!.confirmNonce!);
      setNow('2026-12-03T00:00:01Z');
      await expect(confirm(d, token)).rejects.toMatchObject({ problem: 'expired' });
      setNow('2026-11-26T00:00:00Z');
      await expect(confirm(d, token.slice(0, -2) + (token.endsWith('AA') ? 'EA' : 'AA'))).rejects.toMatchObject({ problem: 'forged' });
      expect((await store.subscribers.get({ email: 'a@example.com' }))?.status).toBe('pending');
    } finally {
      await store.close();
    }
  });
});

describe('the signing secret', () => {
  it('is made once, whole, private, even when many start at once', async () => {
    const dir = await tempDir();
    const secrets = await Promise.all(Array.from({ length: 12 }, () => loadSecret(parseEnvironment({}), dir)));
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect((await readFile(path.join(dir, 'secret'), 'utf8')).trim()).toBe(secrets[0]);
    expect((await stat(path.join(dir, 'secret'))).mode & 0o777).toBe(0o600);
  });

  it('comes from BROADSHEET_SECRET when set, and refuses a short one', async () => {
    const dir = await tempDir();
    expect(await loadSecret(parseEnvironment({ BROADSHEET_SECRET: 'z'.repeat(40) }), dir)).toBe('z'.repeat(40));
    expect(() => parseEnvironment({ BROADSHEET_SECRET: 'short' })).toThrow('BROADSHEET_SECRET: error: must be at least 32 characters');
  });

  it('warns when the secret file is readable by other users, and not when it is private', async () => {
    const dir = await tempDir();
    const warnings: string[] = [];
    const secret = await loadSecret(parseEnvironment({}), dir, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    await chmod(path.join(dir, 'secret'), 0o644);
    expect(await loadSecret(parseEnvironment({}), dir, (m) => warnings.push(m))).toBe(secret);
    expect(warnings).toEqual([
      `${path.join(dir, 'secret')}: warning: the token-signing secret is readable by other users (mode 0644); anyone who can read it can forge confirm and unsubscribe links: chmod 600 ${path.join(dir, 'secret')}`,
    ]);
  });
});
