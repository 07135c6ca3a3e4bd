// A reader's whole round trip in a real browser (Debian's Chromium through
// playwright-core) against a running service: the index page's subscribe
// form, the confirmation link from the email a real SMTP server captured,
// then the unsubscribe link from a digest that was really sent, the page
// with one button, and the button. Also a feed opened in the browser reads
// as a Chinese page (the XSL stylesheet). Screenshots at 375 and 1280 px
// wide are kept in test-artifacts/.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRunDeps } from '../../src/app/wiring.ts';
import { runSend } from '../../src/send/run.ts';
import { ROOT } from '../helpers/cli.ts';
import { type Harness, startHarness, until } from '../server/harness.ts';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.BROADSHEET_TEST_CHROMIUM ?? '/usr/bin/chromium';
let browser: Browser;
let h: Harness;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  h = await startHarness();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function shot(page: Page, name: string, width: number): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `serve-${name}-${width}.png`), fullPage: true });
  // Readable on a phone: nothing wider than the screen.
  const size = (await page.evaluate('({ s: document.documentElement.scrollWidth, c: document.documentElement.clientWidth })')) as { s: number; c: number };
  expect(size.s, `${name} at ${width}`).toBeLessThanOrEqual(size.c);
}

describe('subscribe → confirm → digest → unsubscribe, in Chromium', () => {
  it.each([
    [375, 'weekly'],
    [1280, 'daily'],
  ])('at %d px wide (schedule %s)', async (width, schedule) => {
    const email = `reader-${width}@example.com`;
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    try {
      await page.goto(h.url('/'));
      await shot(page, 'index', width);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=name]', '读者');
      await page.selectOption('select[name=schedule]', schedule);
      await Promise.all([page.waitForLoadState('load'), page.click('form.subscribe button[type=submit]')]);
      expect(await page.textContent('h1')).toBe('请查收确认邮件');
      await shot(page, 'subscribed', width);

      await until('the confirmation email', () => h.smtp.received.some((m) => m.rcptTo.includes(email)));
      const confirmation = h.smtp.received.find((m) => m.rcptTo.includes(email))!;
      const confirmLink = /(http:\/\/127\.0\.0\.1:\d+\/confirm\?token=[^\s"<]+)/.exec(confirmation.parsed.text ?? '')![1]!;
      await page.goto(confirmLink);
      expect(await page.textContent('h1')).toBe('订阅成功');
      await shot(page, 'confirmed', width);
      expect((await h.store.subscribers.get({ email }))?.status).toBe('active');

      // A real send of the schedule, through the same parts the scheduler uses.
      const edge = { clock: () => new Date(), random: (n: number) => randomBytes(n).toString('hex'), stderr: () => undefined };
      const result = await runSend(await sendRunDeps(h.config, edge, { store: h.store, engine: h.engine, transport: h.transport, secret: 'w'.repeat(64) }, { now: new Date() }), { schedule });
      expect(result.kind).toBe('delivered');
      const digest = h.smtp.received.find((m) => m.rcptTo.includes(email) && m !== confirmation)!;
      expect(digest).toBeDefined();
      const header = digest.parsed.headerLines.find((l) => l.key === 'list-unsubscribe')!.line;
      const unsubscribeLink = /<(http[^>]+)>/.exec(header)![1]!;

      await page.goto(unsubscribeLink);
      expect(await page.locator('button').count()).toBe(1);
      expect((await h.store.subscribers.get({ email }))?.status).toBe('active');
      await shot(page, 'unsubscribe', width);
      await Promise.all([page.waitForLoadState('load'), page.click('button')]);
      expect(await page.textContent('h1')).toBe('已退订');
      await shot(page, 'unsubscribed', width);
      expect((await h.store.subscribers.get({ email }))?.status).toBe('unsubscribed');

      await page.goto(h.url('/editions/'));
      expect(await page.locator('ol.items a').count()).toBeGreaterThan(0);
      await shot(page, 'editions', width);
    } finally {
      await page.close();
    }
  });

  it.each([375, 1280])('shows rss.xml and atom.xml as a readable Chinese page at %d px', async (width) => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    try {
      for (const feed of ['rss.xml', 'atom.xml']) {
        await page.goto(h.url(`/${feed}`));
        expect(await page.textContent('#feed-title'), feed).toBe(h.config.site.title);
        expect(await page.textContent('.note')).toContain('这是一个订阅源');
        expect(await page.locator('li h2 a').count()).toBe(3);
        await shot(page, feed.replace('.', '-'), width);
      }
    } finally {
      await page.close();
    }
  });
});
