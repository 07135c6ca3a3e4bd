// The shared model: plain types that every stage of the pipeline passes along.
// parse produces Articles; feed, digest and send consume them.

export type Severity = 'error' | 'warning' | 'info';

/** A message about a source, with the place it concerns (vfile-message style). */
export interface Diagnostic {
  /** The source path as the user sees it, e.g. `articles/000.txt`. */
  source: string;
  /** 1-based line in the source file. */
  line: number;
  severity: Severity;
  /** A stable rule id, e.g. `page-break`, `encoding`, `front-matter`. */
  code: string;
  message: string;
}

/** 本报讯(山西日报记者 陈俊琦) → outlet 山西日报, reporters [陈俊琦]. */
export interface Byline {
  /** The named outlet (山西日报); null for 本报 or when none is named. */
  outlet: string | null;
  /** Reporters (记者). */
  reporters: string[];
  /** Contributors (通讯员). */
  contributors: string[];
  /** The byline as printed, e.g. `本报讯(山西日报记者 陈俊琦)`. */
  text: string;
}

/** A titled part of a roundup (小店区, 尖草坪区 …) or a subheaded report. */
export interface Section {
  heading: string;
  paragraphs: string[];
}

/** Where an article's date came from, strongest first. */
export type DateSource = 'front-matter' | 'dateline' | 'first-seen';

export interface Article {
  /** Stable for ever: front matter `id`, else `<file stem>#<n>`. */
  id: string;
  /** The source path as the user sees it. */
  source: string;
  /** 1-based line where the article starts in its source. */
  line: number;
  /** 引题: the short line above the headline. */
  kicker: string | null;
  title: string;
  /** True when the source had no headline and the title was cut from the first sentence. */
  titleDerived: boolean;
  /** 副题: the line after the headline that starts with ——, without the dashes. */
  subtitle: string | null;
  byline: Byline | null;
  /** The date phrase that opens the lede, e.g. `3月29日至31日`, `近日`. */
  dateline: string | null;
  /** RFC 3339 with the site's offset, e.g. `2026-03-31T00:00:00+08:00`. */
  date: string;
  dateSource: DateSource;
  /** The editor's name from the credit line. */
  editor: string | null;
  /** The credit line as printed, e.g. `(以上由李杰华编辑整理)`. */
  editorCredit: string | null;
  /** Front matter `author`, else the reporters joined with 、, else null. */
  author: string | null;
  tags: string[];
  /** Front matter `summary`, else the first sentences up to ~120 characters. */
  summary: string;
  /** Front matter `link`: the article's canonical URL elsewhere, if any. */
  link: string | null;
  /** Front matter `lang`; null means the site's language. */
  lang: string | null;
  /** Body paragraphs outside any section, in order. */
  paragraphs: string[];
  /** Sections in order (a roundup keeps its places here). */
  sections: Section[];
}

// ── Subscribers, editions and deliveries ──────────────────────────────────
// The domain of the mailing list. subscribers/ decides, send/ delivers,
// store/ persists: each of them uses these types, none of them owns them.

export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced';
export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced'];
/** Where a subscriber came from. */
export type SubscriberOrigin = 'cli' | 'web' | 'import';

export interface Subscriber {
  /** Random 128-bit hex. */
  id: string;
  /** Normalised: trimmed, lower-cased, IDN domain in Unicode form. */
  email: string;
  name: string | null;
  /** Which digest they receive (`daily`, `weekly`, …). */
  schedule: string;
  status: SubscriberStatus;
  origin: SubscriberOrigin;
  createdAt: string;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
  bouncedAt: string | null;
  /** The SMTP answer that bounced them. */
  bounceReason: string | null;
  updatedAt: string;
  /**
   * Random, new for each subscription (sign-up, or signing up again after
   * leaving): confirm links are signed over it, so a link from an earlier
   * subscription cannot confirm a later one. Internal; never exported.
   */
  confirmNonce: string | null;
}

/** A subscriber's fields in the order listings and exports show them (the id stays internal). */
export const SUBSCRIBER_FIELDS = [
  'email',
  'name',
  'schedule',
  'status',
  'origin',
  'createdAt',
  'confirmedAt',
  'unsubscribedAt',
  'bouncedAt',
  'bounceReason',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Subscriber>;

/** One frozen digest of a schedule. */
export interface Edition {
  /** `<schedule>-<YYYYMMDD-HHmm>` in the site's zone. */
  id: string;
  schedule: string;
  createdAt: string;
  /** The edition holds the items first seen in (since, until]. */
  since: string;
  until: string;
  subject: string;
  /** The message, rendered once, with per-subscriber placeholders carrying `nonce`. */
  html: string;
  text: string;
  nonce: string;
  itemCount: number;
  /** Items shown in the email (the rest are behind a link, to stay under the size budget). */
  shownCount: number;
  recipientCount: number;
}

export type DeliveryState = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';
export type DeliveryCounts = Record<DeliveryState, number>;

/** One message of an edition to one subscriber. */
export interface Delivery {
  editionId: string;
  subscriberId: string;
  /** The address and name as they were when the edition was frozen. */
  email: string;
  name: string | null;
  state: DeliveryState;
  attempts: number;
  /** The server's last answer. */
  lastResponse: string | null;
  /** Stable per (edition, subscriber): a resend is recognisably the same message. */
  messageId: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
}

/** What the store remembers about an article across builds. */
export interface ItemState {
  id: string;
  /** When it first appeared: editions pick items by this. */
  firstSeen: string;
  /** When its content last changed after firstSeen (null: never). */
  lastChanged: string | null;
}
