// Request paths → files in the output folder, refusing anything that could
// reach outside it. The raw request target is checked before any decoding
// or normalising, so `..`, `%2e%2e`, encoded slashes and backslashes, NUL and
// `//` are refused whatever layer would have resolved them; a symlink that
// points out of the folder is refused when the file is opened (static.ts).

export type Resolved = { ok: true; segments: string[] } | { ok: false; status: 400 | 404 };

/** The path segments of a request target (`/articles/x.html?y` → ['articles', 'x.html']); '' for a folder's index. */
export function resolveTarget(target: string): Resolved {
  const q = target.search(/[?#]/);
  const raw = q === -1 ? target : target.slice(0, q);
  // Absolute-form (`GET http://host/x`) and anything not starting with one slash.
  if (!raw.startsWith('/') || raw.startsWith('//')) return { ok: false, status: 400 };
  // Encoded separators, backslashes and NUL have no business in a site path.
  if (/%(2f|5c|00)|\\|\0/i.test(raw)) return { ok: false, status: 400 };
  const segments: string[] = [];
  const parts = raw.slice(1).split('/');
  for (const [i, part] of parts.entries()) {
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 400 };
    }
    if (s === '.' || s === '..' || s.includes('\0')) return { ok: false, status: 400 };
    // An empty segment is only allowed last (a folder: `/editions/`).
    if (s === '' && i !== parts.length - 1) return { ok: false, status: 400 };
    // Hidden files and folders are never published.
    if (s.startsWith('.')) return { ok: false, status: 404 };
    segments.push(s);
  }
  return { ok: true, segments };
}
