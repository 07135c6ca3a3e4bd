import { describe, expect, it } from 'vitest';
import {
  type Subscriber,
  decideBounce,
  decideConfirm,
  decideImport,
  decideSubscribe,
  decideUnsubscribe,
} from '../../src/subscribers/lifecycle.ts';

const NOW = '2026-11-25T00:00:00.000Z';
const LATER = '2026-11-26T00:00:00.000Z';
const req = (over: Partial<Parameters<typeof decideSubscribe>[1]> = {}) => ({
  email: 'a@example.com',
  name: null,
  schedule: 'daily',
  origin: 'web' as const,
  confirmed: false,
  ...over,
});
const base = (status: Subscriber['status']): Subscriber => ({
  ...decideSubscribe(null, req(), NOW, 'id1').next!,
  status,
});

describe('subscriber lifecycle', () => {
  it('subscribing creates a pending subscriber; --confirmed an active one', () => {
    expect(decideSubscribe(null, req(), NOW, 'id1').result.outcome).toBe('created');
    const active = decideSubscribe(null, req({ confirmed: true }), NOW, 'id1');
    expect(active.next).toMatchObject({ status: 'active', confirmedAt: NOW });
  });

  it('only confirming makes a pending subscriber active', () => {
    expect(decideConfirm(base('pending'), LATER)).toMatchObject({ next: { status: 'active', confirmedAt: LATER }, result: { outcome: 'confirmed' } });
    expect(decideConfirm(base('active'), LATER)).toMatchObject({ next: null, result: { outcome: 'already-active' } });
  });

  it('a confirm link does not bring back someone who unsubscribed or bounced', () => {
    expect(decideConfirm(base('unsubscribed'), LATER)).toMatchObject({ next: null, result: { outcome: 'not-pending' } });
    expect(decideConfirm(base('bounced'), LATER)).toMatchObject({ next: null, result: { outcome: 'not-pending' } });
  });

  it('re-subscribing after an unsubscribe needs a new confirmation, and --confirmed cannot skip it', () => {
    expect(decideSubscribe(base('unsubscribed'), req(), LATER, 'x')).toMatchObject({ next: { status: 'pending' }, result: { outcome: 'resubscribed' } });
    expect(decideSubscribe(base('unsubscribed'), req({ confirmed: true }), LATER, 'x')).toMatchObject({ next: null, result: { outcome: 'refused' } });
  });

  it('unsubscribing is immediate and idempotent', () => {
    expect(decideUnsubscribe(base('active'), LATER)).toMatchObject({ next: { status: 'unsubscribed', unsubscribedAt: LATER } });
    expect(decideUnsubscribe(base('pending'), LATER).next?.status).toBe('unsubscribed');
    expect(decideUnsubscribe(base('unsubscribed'), LATER)).toMatchObject({ next: null, result: { outcome: 'already-unsubscribed' } });
    expect(decideUnsubscribe(null, LATER).result.outcome).toBe('unknown');
  });

  it('a hard bounce stops an active subscriber', () => {
    expect(decideBounce(base('active'), '550 no such user', LATER)).toMatchObject({ next: { status: 'bounced', bounceReason: '550 no such user', bouncedAt: LATER } });
    expect(decideBounce(base('unsubscribed'), '550', LATER).next).toBeNull();
  });

  it('an import never re-adds, never re-sends, and activates pending ones only with --confirmed', () => {
    expect(decideImport(base('unsubscribed'), req({ confirmed: true }), LATER, 'x').result.outcome).toBe('skipped-unsubscribed');
    expect(decideImport(base('pending'), req(), LATER, 'x')).toMatchObject({ next: null, result: { outcome: 'unchanged' } });
    expect(decideImport(base('pending'), req({ confirmed: true }), LATER, 'x').result.outcome).toBe('activated');
    expect(decideImport(base('active'), req(), LATER, 'x').result.outcome).toBe('unchanged');
    expect(decideImport(null, req(), LATER, 'x').next?.status).toBe('pending');
  });
});
