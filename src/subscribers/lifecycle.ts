// The subscriber lifecycle as pure rules: given the stored subscriber (or
// none) and what happened, what to store and what to tell. The store applies
// a decision atomically; the rules never touch I/O.
//
//   (none) ──subscribe──▶ pending ──confirm──▶ active ──unsubscribe──▶ unsubscribed
//                           ▲                    │  hard bounce             │
//                           │                    ▼                          │
//                           └──── subscribe ── bounced ◀────────────────────┘ (subscribe again: new confirmation)
import type { Subscriber, SubscriberOrigin, SubscriberStatus } from '../model.ts';

export type { Subscriber } from '../model.ts';

export interface Decision<T> {
  /** The row to store; null stores nothing. */
  next: Subscriber | null;
  result: T;
}

export type SubscribeOutcome =
  /** New subscriber, pending: send a confirmation. */
  | 'created'
  /** Already pending: send the confirmation again. */
  | 'pending-again'
  /** Had unsubscribed or bounced: pending again, send a confirmation. */
  | 'resubscribed'
  /** Subscribed with --confirmed: active now. */
  | 'activated'
  /** Already active: nothing changes. */
  | 'already-active'
  /** --confirmed for someone who unsubscribed or bounced: refused; they must subscribe again themselves. */
  | 'refused';

export interface SubscribeRequest {
  email: string;
  name: string | null;
  schedule: string;
  origin: SubscriberOrigin;
  /** Opted in elsewhere (CLI --confirmed, import --confirmed): no confirmation. */
  confirmed: boolean;
}

export function needsConfirmation(outcome: SubscribeOutcome): boolean {
  return outcome === 'created' || outcome === 'pending-again' || outcome === 'resubscribed';
}

/**
 * `newId` is fresh randomness for this decision: the id of a new subscriber,
 * and the confirm nonce of every new subscription (a sign-up, or signing up
 * again after leaving), so a confirm link from an earlier subscription never
 * confirms a later one. Asking for the confirmation again keeps the nonce:
 * both emails' links work.
 */
export function decideSubscribe(
  current: Subscriber | null,
  req: SubscribeRequest,
  now: string,
  newId: string,
): Decision<{ outcome: SubscribeOutcome; subscriber: Subscriber | null }> {
  const status: SubscriberStatus = req.confirmed ? 'active' : 'pending';
  if (current === null) {
    const next: Subscriber = {
      id: newId,
      email: req.email,
      name: req.name,
      schedule: req.schedule,
      status,
      origin: req.origin,
      createdAt: now,
      confirmedAt: req.confirmed ? now : null,
      unsubscribedAt: null,
      bouncedAt: null,
      bounceReason: null,
      updatedAt: now,
      confirmNonce: newId,
    };
    return { next, result: { outcome: req.confirmed ? 'activated' : 'created', subscriber: next } };
  }
  switch (current.status) {
    case 'active':
      return { next: null, result: { outcome: 'already-active', subscriber: current } };
    case 'pending': {
      const next: Subscriber = {
        ...current,
        name: req.name ?? current.name,
        schedule: req.schedule,
        status,
        confirmedAt: req.confirmed ? now : null,
        updatedAt: now,
        confirmNonce: current.confirmNonce ?? newId,
      };
      return { next, result: { outcome: req.confirmed ? 'activated' : 'pending-again', subscriber: next } };
    }
    case 'unsubscribed':
    case 'bounced': {
      if (req.confirmed) return { next: null, result: { outcome: 'refused', subscriber: current } };
      const next: Subscriber = {
        ...current,
        name: req.name ?? current.name,
        schedule: req.schedule,
        status: 'pending',
        origin: req.origin,
        confirmedAt: null,
        updatedAt: now,
        confirmNonce: newId,
      };
      return { next, result: { outcome: 'resubscribed', subscriber: next } };
    }
  }
}

export type ImportOutcome =
  /** New subscriber: pending (confirmation sent) or, with --confirmed, active. */
  | 'created'
  /** Was pending; --confirmed made them active. */
  | 'activated'
  /** Already known: nothing changes, nothing is sent (importing a file twice changes nothing). */
  | 'unchanged'
  /** Unsubscribed or bounced: an import never brings them back. */
  | 'skipped-unsubscribed'
  /**
   * The file says they unsubscribed or bounced (an export of another list):
   * kept as such, so that no one ever mails them; nothing is sent.
   */
  | 'recorded-left';

export interface ImportRequest extends SubscribeRequest {
  /** A `status` column saying the address left the list it came from. */
  left?: { status: 'unsubscribed' | 'bounced'; at: string | null; reason: string | null } | undefined;
}

export function decideImport(
  current: Subscriber | null,
  req: ImportRequest,
  now: string,
  newId: string,
): Decision<{ outcome: ImportOutcome; subscriber: Subscriber | null }> {
  if (current === null && req.left) {
    const { next } = decideSubscribe(null, { ...req, confirmed: false }, now, newId);
    const at = req.left.at ?? now;
    const left: Subscriber =
      req.left.status === 'unsubscribed'
        ? { ...next!, status: 'unsubscribed', unsubscribedAt: at }
        : { ...next!, status: 'bounced', bouncedAt: at, bounceReason: req.left.reason };
    return { next: left, result: { outcome: 'recorded-left', subscriber: left } };
  }
  if (current === null) {
    const { next } = decideSubscribe(null, req, now, newId);
    return { next, result: { outcome: 'created', subscriber: next } };
  }
  if (current.status === 'unsubscribed' || current.status === 'bounced') {
    return { next: null, result: { outcome: 'skipped-unsubscribed', subscriber: current } };
  }
  if (current.status === 'pending' && req.confirmed && !req.left) {
    const next: Subscriber = { ...current, status: 'active', confirmedAt: now, updatedAt: now };
    return { next, result: { outcome: 'activated', subscriber: next } };
  }
  return { next: null, result: { outcome: 'unchanged', subscriber: current } };
}

export type ConfirmOutcome = 'confirmed' | 'already-active' | 'not-pending' | 'unknown';

export function decideConfirm(current: Subscriber | null, now: string): Decision<{ outcome: ConfirmOutcome; subscriber: Subscriber | null }> {
  if (current === null) return { next: null, result: { outcome: 'unknown', subscriber: null } };
  if (current.status === 'active') return { next: null, result: { outcome: 'already-active', subscriber: current } };
  // A confirm link from before an unsubscribe or a bounce must not bring the address back.
  if (current.status !== 'pending') return { next: null, result: { outcome: 'not-pending', subscriber: current } };
  const next: Subscriber = { ...current, status: 'active', confirmedAt: now, updatedAt: now };
  return { next, result: { outcome: 'confirmed', subscriber: next } };
}

export type UnsubscribeOutcome = 'unsubscribed' | 'already-unsubscribed' | 'unknown';

export function decideUnsubscribe(current: Subscriber | null, now: string): Decision<{ outcome: UnsubscribeOutcome; subscriber: Subscriber | null }> {
  if (current === null) return { next: null, result: { outcome: 'unknown', subscriber: null } };
  if (current.status === 'unsubscribed') return { next: null, result: { outcome: 'already-unsubscribed', subscriber: current } };
  const next: Subscriber = { ...current, status: 'unsubscribed', unsubscribedAt: now, updatedAt: now };
  return { next, result: { outcome: 'unsubscribed', subscriber: next } };
}

export function decideBounce(current: Subscriber | null, reason: string, now: string): Decision<{ bounced: boolean }> {
  if (current === null || current.status === 'bounced' || current.status === 'unsubscribed') {
    return { next: null, result: { bounced: false } };
  }
  return { next: { ...current, status: 'bounced', bouncedAt: now, bounceReason: reason, updatedAt: now }, result: { bounced: true } };
}
