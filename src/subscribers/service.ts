// Subscribing, confirming, unsubscribing: input checked once, the lifecycle
// rules applied atomically by the store, confirmations sent after.
import { type Config, defaultSchedule } from '../config/schema.ts';
import type { SubscriberOrigin } from '../model.ts';
import { checkSchedule, normaliseAddress, normaliseName } from './address.ts';
import type { ConfirmationSender } from './confirmation.ts';
import {
  type ConfirmOutcome,
  type SubscribeOutcome,
  type Subscriber,
  type UnsubscribeOutcome,
  decideBounce,
  decideConfirm,
  decideSubscribe,
  decideUnsubscribe,
  needsConfirmation,
} from './lifecycle.ts';
import type { SubscriberStore } from './store.ts';
import { parseToken, verifyToken } from './tokens.ts';
import { InputError } from '../errors.ts';
import { SendError } from '../mail/transport.ts';

export interface SubscriptionDeps {
  store: SubscriberStore;
  config: Config;
  clock: () => Date;
  /** A fresh random subscriber id (32 lower-case hex digits). */
  newId: () => string;
  confirmations: ConfirmationSender;
  secret: string;
}

export interface SubscribeInput {
  email: string;
  name?: string | null | undefined;
  schedule?: string | undefined;
  origin: SubscriberOrigin;
  confirmed?: boolean;
}

export interface CheckedSubscription {
  email: string;
  name: string | null;
  schedule: string;
}

export function checkSubscription(config: Config, input: Omit<SubscribeInput, 'origin'>): CheckedSubscription {
  const email = normaliseAddress(input.email);
  if (!email.ok) throw new InputError('email', `address ${email.error}`);
  const name = normaliseName(input.name);
  if (!name.ok) throw new InputError('name', name.error);
  const schedule = checkSchedule(input.schedule, Object.keys(config.schedules), defaultSchedule(config));
  if (!schedule.ok) throw new InputError('schedule', schedule.error);
  return { email: email.value, name: name.value, schedule: schedule.value };
}

export async function subscribe(
  deps: SubscriptionDeps,
  input: SubscribeInput,
): Promise<{ outcome: SubscribeOutcome; subscriber: Subscriber | null; confirmationSent: boolean; confirmationProblem?: ConfirmationProblem }> {
  const checked = checkSubscription(deps.config, input);
  const now = deps.clock().toISOString();
  const id = deps.newId();
  const { outcome, subscriber } = await deps.store.change({ email: checked.email }, (current) =>
    decideSubscribe(current, { ...checked, origin: input.origin, confirmed: input.confirmed ?? false }, now, id),
  );
  if (subscriber && needsConfirmation(outcome)) {
    const problem = await sendConfirmation(deps, subscriber);
    return problem ? { outcome, subscriber, confirmationSent: false, confirmationProblem: problem } : { outcome, subscriber, confirmationSent: true };
  }
  return { outcome, subscriber, confirmationSent: false };
}

/** Why a confirmation email was not sent. */
export interface ConfirmationProblem {
  /** The server's answer, or what went wrong. */
  message: string;
  /** The server refused the address itself (550/551/553): the subscriber is now bounced and will not be mailed again. */
  bounced: boolean;
}

/**
 * Sends the confirmation; a refusal of the message or the address is
 * returned, not thrown, and an address the server refused is marked bounced.
 * A transport that is down as a whole still throws (nothing can be sent).
 */
export async function sendConfirmation(deps: SubscriptionDeps, subscriber: Subscriber): Promise<ConfirmationProblem | null> {
  try {
    await deps.confirmations.send(subscriber);
    return null;
  } catch (err) {
    if (!(err instanceof SendError)) throw err;
    const message = err.response ?? err.message;
    if (err.kind !== 'bounce') return { message, bounced: false };
    await deps.store.change({ id: subscriber.id }, (current) => decideBounce(current, message, deps.clock().toISOString()));
    return { message, bounced: true };
  }
}

/** Confirms from a link; a bad token throws TokenError and changes nothing. */
export async function confirm(deps: SubscriptionDeps, token: string): Promise<{ outcome: ConfirmOutcome; subscriber: Subscriber | null }> {
  const now = deps.clock();
  const { subscriberId } = parseToken(token);
  // Checked against the subscription as it is now, in the same transaction as the change.
  return deps.store.change({ id: subscriberId }, (current) => {
    verifyToken(deps.secret, 'confirm', token, now, current?.confirmNonce ?? null);
    return decideConfirm(current, now.toISOString());
  });
}

/** Unsubscribes from a link: immediate, no login, idempotent. */
export async function unsubscribeByToken(
  deps: Pick<SubscriptionDeps, 'store' | 'clock' | 'secret'>,
  token: string,
): Promise<{ outcome: UnsubscribeOutcome; subscriber: Subscriber | null }> {
  const now = deps.clock();
  const id = verifyToken(deps.secret, 'unsubscribe', token, now);
  return deps.store.change({ id }, (current) => decideUnsubscribe(current, now.toISOString()));
}

export async function unsubscribeByEmail(
  deps: Pick<SubscriptionDeps, 'store' | 'clock'>,
  email: string,
): Promise<{ outcome: UnsubscribeOutcome; subscriber: Subscriber | null }> {
  const checked = normaliseAddress(email);
  if (!checked.ok) throw new InputError('email', `address ${checked.error}`);
  const now = deps.clock().toISOString();
  return deps.store.change({ email: checked.value }, (current) => decideUnsubscribe(current, now));
}
