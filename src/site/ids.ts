// Ids and page names that feed readers and links keep for ever.

/**
 * `tag:` URI (RFC 4151) for an article: the tagging authority and date are
 * fixed per site, the specific part is the article id, percent-encoded to
 * ASCII. Readers key items on it, so it must never change.
 */
export function tagUri(authority: string, date: string, id: string): string {
  const specific = Array.from(new TextEncoder().encode(id))
    .map((b) => {
      const ch = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~!$'()*+,;=:@/]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return `tag:${authority},${date}:${specific}`;
}

/** The page name of an article: `000_9a07…#1` → `000_9a07…-1`. */
export function slugOf(id: string): string {
  const slug = id
    .normalize('NFC')
    .replace(/[#/\\?%*:|"<>\s]+/gu, '-')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|-+$/gu, '');
  return slug === '' ? 'article' : slug;
}
