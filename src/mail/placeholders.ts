// Per-subscriber values in a message rendered once per edition.
//
// The template renders placeholders (`%%bs-<nonce>-<key>%%`) where a
// subscriber's values go; they pass through Liquid and MJML untouched and are
// filled in per subscriber with each value escaped for its context. The
// nonce is random per edition, so text in an article can never be mistaken
// for a placeholder.

/** Keys a message may personalise. */
export type PlaceholderKey = 'name' | 'greeting' | 'email' | 'unsubscribe_url' | 'preferences_url' | 'confirm_url';

export function placeholder(nonce: string, key: PlaceholderKey): string {
  return `%%bs-${nonce}-${key}%%`;
}

export function placeholders(nonce: string): Record<PlaceholderKey, string> {
  return {
    name: placeholder(nonce, 'name'),
    greeting: placeholder(nonce, 'greeting'),
    email: placeholder(nonce, 'email'),
    unsubscribe_url: placeholder(nonce, 'unsubscribe_url'),
    preferences_url: placeholder(nonce, 'preferences_url'),
    confirm_url: placeholder(nonce, 'confirm_url'),
  };
}


/**
 * Splits a rendered message at its placeholders once, so that filling it for
 * each subscriber is a join of a few strings: no template engine, no MJML,
 * no regular expression per subscriber.
 */
export function compileFill(
  template: string,
  nonce: string,
  escape: (value: string) => string,
): (values: Partial<Record<PlaceholderKey, string>>) => string {
  const parts = template.split(new RegExp(`%%bs-${nonce}-([a-z_]+)%%`));
  if (parts.length === 1) return () => template;
  return (values) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) out += escape(values[parts[i] as PlaceholderKey] ?? '') + parts[i + 1]!;
    return out;
  };
}

/** Plain text takes values as they are (names and addresses were checked to be one line). */
export const asText = (value: string): string => value;
