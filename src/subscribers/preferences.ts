// A subscriber changes their own subscription from the link in every digest:
// another schedule (daily ↔ weekly) or another name. The link carries the
// unsubscribe-scope token (links.ts): it acts for the subscriber and never
// expires. Pure rule first, then the service function that applies it.
import type { Config } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import { checkSchedule, normaliseName } from './address.ts';
import type { Decision, Subscriber } from './lifecycle.ts';
import type { SubscriberStore } from './store.ts';
import { verifyToken } from './tokens.ts';

export interface PreferenceChange {
  name: string | null;
  schedule: string;
}

export type PreferencesOutcome =
  /** Stored. */
  | 'updated'
  /** Already so: nothing stored. */
  | 'unchanged'
  /** Unsubscribed or bounced: there is nothing to change; subscribing again needs a new confirmation. */
  | 'not-subscribed'
  /** The token is valid but no such subscriber exists. */
  | 'unknown';

/** Pending and active subscribers may change their schedule and name; the others must subscribe again. */
export function decidePreferences(
  current: Subscriber | null,
  change: PreferenceChange,
  now: string,
): Decision<{ outcome: PreferencesOutcome; subscriber: Subscriber | null }> {
  if (current === null) return { next: null, result: { outcome: 'unknown', subscriber: null } };
  if (current.status !== 'active' && current.status !== 'pending') {
    return { next: null, result: { outcome: 'not-subscribed', subscriber: current } };
  }
  if (current.name === change.name && current.schedule === change.schedule) {
    return { next: null, result: { outcome: 'unchanged', subscriber: current } };
  }
  const next: Subscriber = { ...current, name: change.name, schedule: change.schedule, updatedAt: now };
  return { next, result: { outcome: 'updated', subscriber: next } };
}

export interface PreferencesDeps {
  store: SubscriberStore;
  config: Config;
  clock: () => Date;
  secret: string;
}

/** The subscriber a preferences link stands for (null if gone); a bad token throws TokenError. */
export async function subscriberByToken(deps: Omit<PreferencesDeps, 'config'>, token: string): Promise<Subscriber | null> {
  const id = verifyToken(deps.secret, 'unsubscribe', token, deps.clock());
  return deps.store.get({ id });
}

/** Checks the form once (InputError naming the field), then applies the change atomically. */
export async function changePreferences(
  deps: PreferencesDeps,
  token: string,
  input: { name?: string | null | undefined; schedule?: string | undefined },
): Promise<{ outcome: PreferencesOutcome; subscriber: Subscriber | null }> {
  const now = deps.clock();
  const id = verifyToken(deps.secret, 'unsubscribe', token, now);
  const name = normaliseName(input.name);
  if (!name.ok) throw new InputError('name', name.error);
  const schedules = Object.keys(deps.config.schedules);
  // No schedule in the form keeps the current one; an unknown one is an error.
  const current = await deps.store.get({ id });
  const schedule = checkSchedule(input.schedule, schedules, current?.schedule ?? schedules[0]!);
  if (!schedule.ok) throw new InputError('schedule', schedule.error);
  return deps.store.change({ id }, (c) => decidePreferences(c, { name: name.value, schedule: schedule.value }, now.toISOString()));
}
