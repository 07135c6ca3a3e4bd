// broadsheet's configuration: every field, its one-line doc and its default,
// in one place. Validated once at start-up; the types downstream are inferred
// from this schema.
import { Cron } from 'croner';
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
    /** Folder of the page and email templates (env BROADSHEET_TEMPLATES). */
    templates: nonEmpty.default('templates'),
    /** Folder for state: the SQLite database, the build cache, the generated secret (env BROADSHEET_DATA). */
    data: nonEmpty.default('data'),
    /** SQLite database file (env BROADSHEET_DB); default <data>/broadsheet.db. Ignored when DATABASE_URL is set. */
    db: nonEmpty.optional(),
  })
  .strict();

export const feedSchema = z
  .object({
    /** Items in each feed, newest first; pages and the index list every article. */
    itemLimit: z.number().int().min(1).max(1000).default(50),
    /** The tag: URI authority of item ids; default the base URL's host. Set it once and never change it. */
    tagAuthority: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name such as news.example.com')
      .optional(),
    /** The tag: URI date of item ids (YYYY or YYYY-MM-DD). Never change it. */
    tagDate: z
      .string()
      .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'must be a date such as 2026 or 2026-01-01')
      .default('2026'),
  })
  .strict();

function isCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}

export const scheduleSchema = z
  .object({
    /** The name readers see, e.g. 每日要闻. */
    name: nonEmpty,
    /** When the digest goes out: a cron pattern in the site's time zone. */
    cron: z.string().refine(isCron, 'must be a cron pattern such as "0 7 * * *"'),
    /** The longest look-back of a schedule's first edition, in hours. */
    periodHours: z.number().int().positive(),
    /** Most items in one edition. */
    maxItems: z.number().int().positive().max(500).default(30),
  })
  .strict();

/** Schedule ids appear in URLs and the CLI. */
const scheduleId = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'schedule ids are lower-case letters, digits and -');

export const DEFAULT_SCHEDULES = {
  daily: { name: '\u6bcf\u65e5\u8981\u95fb', cron: '0 7 * * *', periodHours: 24, maxItems: 30 },
  weekly: { name: '\u6bcf\u5468\u7cbe\u9009', cron: '0 8 * * 1', periodHours: 24 * 7, maxItems: 50 },
};

export const configSchema = z
  .object({
    site: siteSchema.default(siteSchema.parse({})),
    parse: parseSchema.default(parseSchema.parse({})),
    paths: pathsSchema.default(pathsSchema.parse({})),
    feed: feedSchema.default(feedSchema.parse({})),
    /** Digest schedules by id; subscribers choose one. */
    schedules: z
      .record(scheduleId, scheduleSchema)
      .refine((r) => Object.keys(r).length > 0, 'at least one schedule is needed')
      .default(DEFAULT_SCHEDULES),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type SiteConfig = Config['site'];
