// The digest and the site pages in a real browser (Debian's Chromium through
// playwright-core) at desktop and phone widths: nothing overflows sideways.
// The PNGs are kept in test-artifacts/ for a person to look at.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/digest/digest.ts';
import { personaliser } from '../../src/mail/render.ts';
import { ROOT } from '../helpers/cli.ts';
import { digestFixture, sampleArticles } from '../helpers/digest.ts';
import { makeSite, samples } from '../helpers/site.ts';
import { tempDir } from '../helpers/tmp.ts';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.BROADSHEET_TEST_CHROMIUM ?? '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

async function overflowAt(file: string, width: number, shot: string): Promise<{ scrollWidth: number; clientWidth: number }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  try {
    await page.goto(`file://${file}`);
    // A string, so the test's TypeScript needs no DOM types.
    const size = (await page.evaluate(
      '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
    )) as { scrollWidth: number; clientWidth: number };
    await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
    return size;
  } finally {
    await page.close();
  }
}

describe('in Chromium', () => {
  it.each([600, 375])('the digest has no horizontal overflow at %d px', async (width) => {
    const f = await digestFixture();
    const articles = await sampleArticles();
    const items = [...articles.map((a) => f.item(a)), ...Array.from({ length: 6 }, (_, i) => f.item(articles[i % 3]!, i))];
    const d = await renderDigest(f.ctx, { schedule: { id: 'daily', name: '每日要闻' }, at: '2026-11-25T07:00:00+08:00', items, webUrl: 'http://127.0.0.1:8080/editions/x.html' }, 'feedface');
    const { html } = personaliser(d)({ name: '读者', email: 'a-rather-long-address.for-testing@example.com', unsubscribe_url: `http://127.0.0.1:8080/unsubscribe?token=v1.u.${'0'.repeat(32)}.0.${'x'.repeat(43)}` });
    const file = path.join(await tempDir(), 'digest.html');
    await writeFile(file, html);
    const size = await overflowAt(file, width, `digest-${width}.png`);
    expect(size.scrollWidth).toBeLessThanOrEqual(size.clientWidth);
    expect(size.clientWidth).toBe(width);
  });

  it.each([1024, 375])('the index and an article page have no horizontal overflow at %d px', async (width) => {
    const site = await makeSite(await samples());
    await site.build('2026-11-25T12:00:00+08:00');
    for (const page of ['index.html', 'articles/000_9a07525249fe1bb1-2.html']) {
      const size = await overflowAt(path.join(site.dir, 'public', page), width, `${page.replace(/\W+/g, '-')}-${width}.png`);
      expect(size.scrollWidth, page).toBeLessThanOrEqual(size.clientWidth);
    }
  });
});
