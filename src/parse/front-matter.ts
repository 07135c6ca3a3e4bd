// Optional YAML front matter (`---` … `---` at the top of a source) that
// overrides what the parser infers.
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import { lineOfPath, yamlMessage } from '../yaml-position.ts';

const text = z.string().trim().min(1, 'must not be empty');

export const frontMatterSchema = z
  .object({
    /** The headline, overriding the `#` line. */
    title: text.optional(),
    /** When the article was published: `2026-03-31`, `2026-03-31 08:30` (site time) or RFC 3339. */
    date: z.union([z.string().trim().min(1), z.date()]).optional(),
    /** Shown as the article's author instead of the byline's reporters. */
    author: text.optional(),
    /** Categories; a list, or one comma-separated string. */
    tags: z
      .union([z.array(z.union([text, z.number().transform(String)])), z.string()])
      .transform((v) => (Array.isArray(v) ? v : v.split(/[,\uFF0C、]/).map((t) => t.trim())).filter((t) => t !== ''))
      .optional(),
    /** The article's canonical URL elsewhere. */
    link: z
      .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' })
      .optional(),
    /** A stable id that survives renaming the file. */
    id: z
      .union([z.string(), z.number().transform(String)])
      .pipe(z.string().regex(/^[^\s#]{1,200}$/, 'must be 1–200 characters without spaces or #'))
      .optional(),
    /** Overrides the summary cut from the first sentences. */
    summary: text.optional(),
    /** BCP 47 language tag, when the article is not in the site's language. */
    lang: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as zh-CN or en')
      .optional(),
  })
  .strip();

export type FrontMatter = z.infer<typeof frontMatterSchema>;

export const FRONT_MATTER_KEYS = Object.keys(frontMatterSchema.shape);

export type FrontMatterResult =
  | { kind: 'none' }
  | { kind: 'ok'; data: FrontMatter; bodyLine: number; body: string; unknownKeys: Array<{ key: string; line: number }> }
  | { kind: 'error'; line: number; message: string };

/**
 * Splits front matter from the body. `bodyLine` is the 1-based line of the
 * body's first line in the whole text.
 */
export function splitFrontMatter(source: string): FrontMatterResult {
  // Look at the first line alone before splitting: most sources have no front matter.
  const firstEnd = source.indexOf('\n');
  if ((firstEnd === -1 ? source : source.slice(0, firstEnd)).trimEnd() !== '---') return { kind: 'none' };
  const lines = source.split('\n');
  const close = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (close === -1) return { kind: 'error', line: 1, message: 'front matter opened with --- is never closed' };

  const yamlText = lines.slice(1, close).join('\n');
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: counter, uniqueKeys: true });
  const fmLine = (line: number) => line + 1; // line 1 of the YAML is line 2 of the file
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line ?? 1;
    return { kind: 'error', line: fmLine(line), message: `invalid front matter: ${yamlMessage(yamlError.message)}` };
  }
  let raw: unknown;
  try {
    // A few aliases are fine; thousands are a "billion laughs" that would eat the memory.
    raw = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (err) {
    return { kind: 'error', line: 2, message: `invalid front matter: ${yamlMessage((err as Error).message)}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'error', line: 2, message: 'front matter must be a mapping of keys to values' };
  }
  const parsed = frontMatterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const line = lineOfPath(doc, counter, issue.path) ?? 1;
    const field = issue.path.map(String).join('.') || '(front matter)';
    return { kind: 'error', line: fmLine(line), message: `front matter: ${field}: ${issue.message}` };
  }
  const unknownKeys = Object.keys(raw)
    .filter((k) => !FRONT_MATTER_KEYS.includes(k))
    .map((key) => ({ key, line: fmLine(lineOfPath(doc, counter, [key]) ?? 1) }));
  return {
    kind: 'ok',
    data: parsed.data,
    bodyLine: close + 2,
    body: lines.slice(close + 1).join('\n'),
    unknownKeys,
  };
}
