// Ids and page names that feed readers and links keep for ever.
import { createHash } from 'node:crypto';

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

/**
 * Longest page name, in UTF-8 bytes. File systems allow 255 bytes per name;
 * `.html` and a temporary suffix while writing must fit too.
 */
export const MAX_SLUG_BYTES = 200;

/**
 * The page name of an article: `000_9a07…#1` → `000_9a07…-1`. A name that
 * would be too long for a file (a long Chinese file name in a Chinese-named
 * folder) keeps its first part and ends in a hash of the whole id, so it
 * stays unique and stable.
 */
export function slugOf(id: string): string {
  const slug = id
    .normalize('NFC')
    .replace(/[#/\\?%*:|"<>\s]+/gu, '-')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|-+$/gu, '');
  if (slug === '') return 'article';
  if (Buffer.byteLength(slug) <= MAX_SLUG_BYTES) return slug;
  let head = '';
  for (const ch of slug) {
    if (Buffer.byteLength(head + ch) > MAX_SLUG_BYTES - 12) break;
    head += ch;
  }
  return `${head.replace(/[-.]+$/u, '')}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}
