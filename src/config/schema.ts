// broadsheet's configuration: every field, its one-line doc and its default,
// in one place. Validated once at start-up; the types downstream are inferred
// from this schema.
import { z } from 'zod';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');

export const siteSchema = z
  .object({
    /** The publication's name, shown in feeds, pages and emails. */
    title: nonEmpty.default('山西日报'),
    /** One line about the publication. */
    description: nonEmpty.default('山西日报新闻'),
    /** Where the site is served; every link in feeds and emails is built from it. */
    baseUrl: z
      .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL, e.g. https://news.example.com' })
      .default('http://127.0.0.1:8080')
      .transform((u) => u.replace(/\/+$/, '')),
    /** BCP 47 language of the site's text (pages, emails). */
    language: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as zh-CN')
      .default('zh-CN'),
    /** The publisher, named as the feeds' author. */
    author: z
      .object({
        /** The author's name. */
        name: nonEmpty.default('山西日报'),
        /** A contact address (optional). */
        email: z.email('must be an email address').optional(),
      })
      .default({ name: '山西日报' }),
    /** Copyright line for feeds and page footers. */
    copyright: nonEmpty.default('© 山西日报'),
    /** IANA time zone for dates without an offset and for schedules. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  })
  .strict();

export const parseSchema = z
  .object({
    /** Restore full-width ,;:!?() next to CJK text (the export folded them to ASCII). */
    punctuation: z.boolean().default(true),
    /** Sources larger than this many bytes are reported and skipped. */
    maxSourceBytes: z.number().int().positive().default(2 * 1024 * 1024),
  })
  .strict();

export const pathsSchema = z
  .object({
    /** Folder of article sources (env BROADSHEET_ARTICLES, flag --articles). */
    articles: nonEmpty.default('articles'),
    /** Output folder for feeds and pages (env BROADSHEET_OUT, flag --out). */
    out: nonEmpty.default('public'),
    /** Folder of the page and email templates. */
    templates: nonEmpty.default('templates'),
  })
  .strict();

export const configSchema = z
  .object({
    site: siteSchema.default(siteSchema.parse({})),
    parse: parseSchema.default(parseSchema.parse({})),
    paths: pathsSchema.default(pathsSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type SiteConfig = Config['site'];
