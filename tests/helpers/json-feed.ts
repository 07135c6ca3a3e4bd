/** The JSON Feed 1.1 rules a reader relies on (https://www.jsonfeed.org/version/1.1/). */
export function checkJsonFeed11(text: string): string[] {
  const problems: string[] = [];
  const feed = JSON.parse(text);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  const absolute = (u: unknown) => typeof u === 'string' && /^https?:\/\/[^\s]+$/.test(u);
  if (feed.version !== 'https://jsonfeed.org/version/1.1') problems.push('version');
  if (typeof feed.title !== 'string' || feed.title === '') problems.push('title');
  if (!Array.isArray(feed.items)) problems.push('items');
  if ('author' in feed) problems.push('author is deprecated in 1.1; use authors');
  if (feed.home_page_url !== undefined && !absolute(feed.home_page_url)) problems.push('home_page_url');
  if (feed.feed_url !== undefined && !absolute(feed.feed_url)) problems.push('feed_url');
  if (feed.authors !== undefined && (!Array.isArray(feed.authors) || feed.authors.some((a: object) => !('name' in a || 'url' in a || 'avatar' in a)))) problems.push('authors');
  const ids = new Set<string>();
  for (const [n, item] of (feed.items ?? []).entries()) {
    if (typeof item.id !== 'string' || item.id === '') problems.push(`items[${n}].id`);
    if (ids.has(item.id)) problems.push(`items[${n}].id duplicate`);
    ids.add(item.id);
    if (typeof item.content_html !== 'string' && typeof item.content_text !== 'string') problems.push(`items[${n}] has no content`);
    if (item.url !== undefined && !absolute(item.url)) problems.push(`items[${n}].url`);
    for (const k of ['date_published', 'date_modified']) {
      if (item[k] !== undefined && !rfc3339.test(item[k])) problems.push(`items[${n}].${k}`);
    }
    if ('author' in item) problems.push(`items[${n}].author is deprecated in 1.1`);
    if (item.tags !== undefined && !(Array.isArray(item.tags) && item.tags.every((t: unknown) => typeof t === 'string'))) problems.push(`items[${n}].tags`);
  }
  return problems;
}
