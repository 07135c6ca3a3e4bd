// Digest benchmark: one render of an edition (Liquid → MJML → HTML), then
// personalising it for 10,000 subscribers.
import { renderDigest } from '../src/digest/digest.ts';
import { personaliser } from '../src/mail/render.ts';
import { digestFixture, sampleArticles } from '../tests/helpers/digest.ts';
import { type Bench, measure } from './measure.ts';

export async function benchDigest(subscribers: number): Promise<Bench[]> {
  const f = await digestFixture();
  const articles = await sampleArticles();
  const items = Array.from({ length: 12 }, (_, i) => f.item(articles[i % 3]!, i));
  const edition = { schedule: { id: 'daily', name: '每日要闻' }, at: '2026-11-25T07:00:00+08:00', items, webUrl: 'http://127.0.0.1:8080/editions/x.html' };
  await renderDigest(f.ctx, edition, 'warmup00'); // first use loads MJML's components
  const runs = 10;
  let rendered = await renderDigest(f.ctx, edition, 'abcd0123');
  const render = await measure(`digest: render once (12 items), mean of ${runs}`, async () => {
    for (let i = 0; i < runs; i++) rendered = await renderDigest(f.ctx, edition, 'abcd0123');
  });
  render.ms /= runs;
  render.note = `${(rendered.htmlBytes / 1024).toFixed(1)} KB HTML`;
  const personalise = personaliser(rendered);
  let bytes = 0;
  const per = await measure(`digest: personalise for ${subscribers} subscribers`, async () => {
    for (let i = 0; i < subscribers; i++) {
      const m = personalise({
        name: `读者${i}`,
        email: `reader${i}@example.com`,
        unsubscribe_url: `http://127.0.0.1:8080/unsubscribe?token=v1.u.${i.toString(16).padStart(32, '0')}.0.signature`,
      });
      // byteLength flattens the joined string, as encoding it for sending would.
      bytes += Buffer.byteLength(m.html) + Buffer.byteLength(m.text);
    }
  });
  per.note = `${((per.ms * 1000) / subscribers).toFixed(1)} µs per subscriber (${(bytes / 2 ** 20).toFixed(0)} MB produced, not kept)`;
  return [render, per];
}
