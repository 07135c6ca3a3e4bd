// `broadsheet digest`: the edition that would go out now, written as files a
// designer can open: digest.html, digest.txt, and digest.eml (a complete
// message for a sample subscriber, openable in any mail client).
import type { Config } from '../config/schema.ts';
import type { Corpus } from '../corpus/corpus.ts';
import { renderDigest } from '../digest/digest.ts';
import { personaliser } from '../mail/render.ts';
import { senderOf } from '../mail/sender.ts';
import type { RawMessage } from '../mail/transport.ts';
import { sitePath, siteUrl } from '../site/urls.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { subscriberLinks } from '../subscribers/links.ts';
import { type PlanStores, digestContext, digestItems, planEdition } from './edition.ts';
import { boundaryOf, personalMessages } from './message.ts';

export interface PreviewDeps {
  store: PlanStores;
  config: Config;
  engine: TemplateEngine;
  corpus: Pick<Corpus, 'articles' | 'loadArticle'>;
  random: () => string;
}

export interface DigestPreview {
  subject: string;
  total: number;
  shown: number;
  htmlBytes: number;
  /** True when nothing was new and the newest items stand in. */
  fallback: boolean;
  since: string;
  /** The items in the preview, newest first. */
  itemIds: string[];
  /** File name → content: digest.html, digest.txt, digest.eml. */
  files: Record<string, string | Uint8Array>;
  /** The .eml's bytes with their envelope, for a test send (`digest --send-to`). */
  message: RawMessage;
}

/** The sample subscriber of previews. */
export const SAMPLE = { id: '0'.repeat(32), name: '\u8BFB\u8005', email: 'reader@example.com' };

/**
 * The edition that would go out now, personalised for `to` (default: the
 * sample subscriber). Writes and records nothing. Its links are signed with
 * a throwaway secret, so they never unsubscribe anyone.
 */
export async function previewDigest(
  deps: PreviewDeps,
  scheduleId: string,
  now: Date,
  to: { email: string; name: string | null } = SAMPLE,
): Promise<DigestPreview> {
  const { config } = deps;
  const plan = await planEdition(deps.store, config, deps.corpus, scheduleId, now);
  // Nothing new is no reason not to show the design: fall back to the newest items.
  const fallback = plan.itemIds.length === 0;
  const ids = fallback ? deps.corpus.articles.slice(0, plan.schedule.maxItems).map((a) => a.id) : plan.itemIds;
  const items = await digestItems(deps.corpus, ids, config);
  const rendered = await renderDigest(
    digestContext(config, deps.engine),
    { schedule: plan.schedule, at: now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, sitePath.edition('preview')) },
    deps.random(),
  );
  // Signed with a throwaway secret: the preview's link is never a working unsubscribe link.
  const secret = 'preview-only-not-a-real-secret';
  const links = subscriberLinks(config.site.baseUrl, secret, SAMPLE.id);
  const { html, text } = personaliser(rendered)({ name: to.name ?? '', email: to.email, unsubscribe_url: links.unsubscribeUrl, preferences_url: links.preferencesUrl });
  // The .eml is spliced exactly as `send` splices each subscriber's copy.
  const edition = { schedule: scheduleId, subject: rendered.subject, html: rendered.html, text: rendered.text, nonce: rendered.nonce };
  const message = personalMessages(config, edition, secret, boundaryOf(deps.random()))(
    { subscriberId: SAMPLE.id, email: to.email, name: to.name, messageId: `<preview.${now.getTime().toString(36)}.${deps.random()}@${senderOf(config).domain}>` },
    now,
  );
  const eml = message.raw;
  return {
    subject: rendered.subject,
    total: rendered.total,
    shown: rendered.shown,
    htmlBytes: Buffer.byteLength(html),
    fallback,
    since: plan.since,
    itemIds: ids,
    files: { 'digest.html': html, 'digest.txt': text, 'digest.eml': eml },
    message,
  };
}
