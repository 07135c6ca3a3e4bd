// broadsheet's configuration: every field, its one-line doc and its default,
// in one place. Validated once at start-up; the types downstream are inferred
// from this schema.
import { Cron } from 'croner';
import * as z from 'zod';
import { stripIllegalCharacters } from '../text/sanitize.ts';

// zod compiles a parser for each object schema (new Function) the first time
// it parses with it: worth it for a schema parsed thousands of times, not for
// a config parsed once per command, where compiling is most of its start-up.
z.config({ jitless: true });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Text from the config reaches feeds and emails: characters XML cannot carry are removed here, once. */
const nonEmpty = z.string().transform(stripIllegalCharacters).pipe(z.string().trim().min(1, 'must not be empty'));

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
    /** Where the file outbox writes .eml files when SMTP_URL is not set (env BROADSHEET_OUTBOX). */
    outbox: nonEmpty.default('outbox'),
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
    /** WebSub (PubSubHubbub): with a hub, feeds name it and `serve` pings it after each rebuild that changed a feed. */
    websub: z
      .object({
        /** The hub's URL, e.g. https://pubsubhubbub.appspot.com/; none by default. */
        hub: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL of a WebSub hub' }).optional(),
      })
      .strict()
      .default({}),
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
    /** When the digest goes out: a cron pattern in the schedule's time zone (timeZone). */
    cron: z.string().refine(isCron, 'must be a cron pattern such as "0 7 * * *"'),
    /** The longest look-back of a schedule's first edition, in hours. */
    periodHours: z.number().int().positive(),
    /** Most items in one edition. */
    maxItems: z.number().int().positive().max(500).default(30),
    /** IANA time zone the cron pattern is read in; default site.timeZone. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').optional(),
    /** At start-up, `serve` sends a run missed while it was down if the run is younger than this many hours; older ones are skipped. */
    catchUpHours: z.number().min(0).max(24 * 31).default(6),
  })
  .strict();

export const mailSchema = z
  .object({
    /** The sender; default the site's title at noreply@<the base URL's host>. */
    from: z
      .object({
        name: nonEmpty.optional(),
        address: z.email('must be an email address').optional(),
      })
      .strict()
      .default({}),
    /** Where replies go (optional). */
    replyTo: z.email('must be an email address').optional(),
    /**
     * The digest's subject, a Liquid pattern over: site, schedule, date
     * (2026年11月25日), lead (the first headline), more (how many other items), count.
     */
    subject: nonEmpty.default(
      '{{ site }}\u00B7{{ schedule }} {{ date }}\uFF1A{{ lead }}{% if more > 0 %}\uFF08\u53E6\u6709 {{ more }} \u7BC7\uFF09{% endif %}',
    ),
    /** The confirmation email's subject, a Liquid pattern over: site, schedule. */
    confirmSubject: nonEmpty.default('\u8BF7\u786E\u8BA4\u8BA2\u9605{{ site }}\u300C{{ schedule }}\u300D'),
    /** The digest's HTML stays under this many KB; Gmail clips messages over about 102 KB and hides the footer. */
    sizeBudgetKb: z.number().int().min(20).max(100).default(80),
    smtp: z
      .object({
        /** Connections in the pool, and so messages in flight. */
        maxConnections: z.number().int().min(1).max(50).default(5),
        /** Messages sent over one connection before it is replaced. */
        maxMessagesPerConnection: z.number().int().min(1).default(100),
        /** Messages per second across the pool; 0 for no limit. */
        rateLimit: z.number().min(0).default(10),
        /** Seconds to wait for the server at each step. */
        timeoutSeconds: z.number().int().min(1).max(600).default(30),
        /** Verify the server's TLS certificate. Turn off only for a test server. */
        tlsVerify: z.boolean().default(true),
      })
      .strict()
      .default({ maxConnections: 5, maxMessagesPerConnection: 100, rateLimit: 10, timeoutSeconds: 30, tlsVerify: true }),
    retry: z
      .object({
        /** Attempts per delivery before it is marked failed. */
        attempts: z.number().int().min(1).max(20).default(5),
        /** The first retry waits about this many seconds; each next one twice as long, with jitter. */
        baseDelaySeconds: z.number().min(0).default(2),
        /** The longest wait between attempts. */
        maxDelaySeconds: z.number().min(0).default(300),
      })
      .strict()
      .default({ attempts: 5, baseDelaySeconds: 2, maxDelaySeconds: 300 }),
    /** DKIM signing, when the domain's DNS publishes the selector's public key. */
    dkim: z
      .object({
        domain: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a domain name'),
        selector: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a DKIM selector'),
        /** PEM file with the private key. */
        privateKeyFile: nonEmpty,
      })
      .strict()
      .optional(),
  })
  .strict();

/** Flags give strings; the config file gives booleans. */
const flagBoolean = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

export const serverSchema = z
  .object({
    /** Address `serve` listens on (flag --host); 127.0.0.1 keeps it private, 0.0.0.0 or :: opens it to the network. */
    host: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
    /** TCP port (flag --port); 0 picks a free one. */
    port: z.coerce.number().int('must be a whole number').min(0).max(65535).default(8080),
    /** Take the client address from X-Forwarded-For (its last entry, added by the proxy) (flag --trust-proxy). Only behind a reverse proxy. */
    trustProxy: flagBoolean.default(false),
    /** Largest request body accepted, in KB; larger ones get 413. */
    maxBodyKb: z.number().int().min(1).max(1024).default(16),
    /** Limits on POST /subscribe, so a flood gets 429 and no one is mail-bombed. */
    rateLimit: z
      .object({
        /** Subscribe requests one client address may make per window. */
        perClient: z.number().int().min(1).default(10),
        /** Subscribe requests for one email address per window (each may send a confirmation). */
        perAddress: z.number().int().min(1).default(3),
        /** The window, in minutes. */
        windowMinutes: z.number().int().min(1).max(24 * 60).default(60),
      })
      .strict()
      .default({ perClient: 10, perAddress: 3, windowMinutes: 60 }),
    /** Quiet time after the last change in the articles folder before a rebuild, in milliseconds. */
    rebuildDelayMs: z.number().int().min(0).max(10_000).default(250),
  })
  .strict();

export const sendSchema = z
  .object({
    /**
     * Deliveries claimed from the store at a time (one query claims them all).
     * Bigger batches cost fewer queries; each claimed delivery waits in this
     * process until its turn.
     */
    batchSize: z.number().int().min(1).max(5000).default(200),
    /**
     * Seconds a claimed batch stays with its worker without renewal (workers
     * renew every third of it). A worker that dies loses its deliveries to
     * the others after this long; one that stalls longer sends none of them.
     */
    claimSeconds: z.number().int().min(5).max(3600).default(60),
    /**
     * Whether `serve` also works as a delivery worker: besides its own
     * schedules, it joins any open edition (frozen by another `serve` or
     * `send`) and shares its deliveries. PostgreSQL only makes sense for
     * several machines; SQLite is one machine.
     */
    workers: z.boolean().default(false),
  })
  .strict();

/** Schedule ids appear in URLs and the CLI. */
const scheduleId = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'schedule ids are lower-case letters, digits and -');

export const DEFAULT_SCHEDULES = {
  daily: { name: '\u6bcf\u65e5\u8981\u95fb', cron: '0 7 * * *', periodHours: 24, maxItems: 30, catchUpHours: 6 },
  weekly: { name: '\u6bcf\u5468\u7cbe\u9009', cron: '0 8 * * 1', periodHours: 24 * 7, maxItems: 50, catchUpHours: 6 },
};

export const configSchema = z
  .object({
    site: siteSchema.default(siteSchema.parse({})),
    parse: parseSchema.default(parseSchema.parse({})),
    paths: pathsSchema.default(pathsSchema.parse({})),
    feed: feedSchema.default(feedSchema.parse({})),
    mail: mailSchema.default(mailSchema.parse({})),
    /** How `send` delivers an edition: batches, and (on PostgreSQL) workers sharing it. */
    send: sendSchema.default(sendSchema.parse({})),
    /** `broadsheet serve`: where it listens and how it protects itself. */
    server: serverSchema.default(serverSchema.parse({})),
    /** Digest schedules by id; subscribers choose one. */
    schedules: z
      .record(scheduleId, scheduleSchema)
      .refine((r) => Object.keys(r).length > 0, 'at least one schedule is needed')
      .default(DEFAULT_SCHEDULES),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The default schedule: `daily` if there is one, else the first in the config. */
export function defaultSchedule(config: Pick<Config, 'schedules'>): string {
  return 'daily' in config.schedules ? 'daily' : Object.keys(config.schedules)[0]!;
}
