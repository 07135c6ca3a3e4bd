// The links a subscriber gets in their emails, signed with the site secret.
// The preferences page takes the same token as the unsubscribe link: both
// act for the subscriber, never expire, and are in every digest.
import type { Subscriber } from '../model.ts';
import { sitePath, tokenUrl } from '../site/urls.ts';
import { signToken } from './tokens.ts';

export interface SubscriberLinks {
  /** One-click unsubscribe (RFC 8058): the List-Unsubscribe header and the footer link. */
  unsubscribeUrl: string;
  /** Change schedule or name, or unsubscribe. */
  preferencesUrl: string;
}

export function subscriberLinks(baseUrl: string, secret: string, subscriberId: string): SubscriberLinks {
  const token = signToken(secret, 'unsubscribe', subscriberId);
  return {
    unsubscribeUrl: tokenUrl(baseUrl, sitePath.unsubscribe, token),
    preferencesUrl: tokenUrl(baseUrl, sitePath.preferences, token),
  };
}

/** The double opt-in link; it expires (tokens.ts). */
export function confirmUrl(baseUrl: string, secret: string, subscriber: Pick<Subscriber, 'id' | 'confirmNonce'>, now: Date): string {
  return tokenUrl(baseUrl, sitePath.confirm, signToken(secret, 'confirm', subscriber.id, now, subscriber.confirmNonce ?? ''));
}
