// `broadsheet digest`: the edition that would go out now, written as files a
// designer can open: digest.html, digest.txt, and digest.eml (a complete
// message for a sample subscriber, openable in any mail client).
import path from 'node:path';
import type { BuildReport } from '../build/build.ts';
import type { Config } from '../config/schema.ts';
import { renderDigest } from '../digest/digest.ts';
import { siteUrl } from '../feed/ids.ts';
import { writeAtomic } from '../fs-atomic.ts';
import { personaliser } from '../mail/render.ts';
import { listIdOf, senderOf } from '../mail/sender.ts';
import type { Store } from '../store/store.ts';
import type { TemplateEngine } from '../templates/engine.ts';
import { unsubscribeUrl } from './deliver.ts';
import { digestContext, planEdition } from './edition.ts';
import { composeEml } from './outbox.ts';

export interface PreviewDeps {
  store: Store;
  config: Config;
  engine: TemplateEngine;
  build: Pick<BuildReport, 'published' | 'loadItem'>;
  random: () => string;
}

/** The sample subscriber of previews. */
export const SAMPLE = { id: '0'.repeat(32), name: '\u8BFB\u8005', email: 'reader@example.com' };

export async function previewDigest(deps: PreviewDeps, scheduleId: string, now: Date, outDir: string) {
  const { config } = deps;
  const plan = await planEdition(deps.store, config, deps.build, scheduleId, now);
  // Nothing new is no reason not to show the design: fall back to the newest items.
  const fallback = plan.itemIds.length === 0;
  const ids = fallback ? deps.build.published.slice(0, plan.schedule.maxItems).map((a) => a.id) : plan.itemIds;
  const items = await Promise.all(ids.map((id) => deps.build.loadItem(id)));
  const rendered = await renderDigest(
    digestContext(config, deps.engine),
    { schedule: plan.schedule, at: now.toISOString(), items, webUrl: siteUrl(config.site.baseUrl, '/editions/preview.html') },
    deps.random(),
  );
  // Signed with a throwaway secret: the preview's link is never a working unsubscribe link.
  const unsubscribe = unsubscribeUrl(config, 'preview-only-not-a-real-secret', SAMPLE.id);
  const { html, text } = personaliser(rendered)({ name: SAMPLE.name, email: SAMPLE.email, unsubscribe_url: unsubscribe });
  const sender = senderOf(config);
  const eml = await composeEml({
    messageId: `<preview.${now.getTime().toString(36)}@${sender.domain}>`,
    date: now,
    from: sender.from,
    replyTo: sender.replyTo,
    to: { name: SAMPLE.name, address: SAMPLE.email },
    subject: rendered.subject,
    html,
    text,
    listId: listIdOf(config, scheduleId, sender),
    unsubscribeUrl: unsubscribe,
  });
  const files = {
    'digest.html': html,
    'digest.txt': text,
    'digest.eml': eml,
  };
  for (const [name, content] of Object.entries(files)) await writeAtomic(path.join(outDir, name), content);
  return {
    subject: rendered.subject,
    total: rendered.total,
    shown: rendered.shown,
    htmlBytes: Buffer.byteLength(html),
    fallback,
    since: plan.since,
    files: Object.keys(files).map((f) => path.join(outDir, f)),
  };
}
