// `serve`'s HTTP side, with real requests against a started service: the
// publish output with validators and compression, traversal attempts, the
// subscription routes with their token cases, limits and headers.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberLinks } from '../../src/subscribers/links.ts';
import { signToken } from '../../src/subscribers/tokens.ts';
import { type Harness, SECRET, startHarness } from './harness.ts';
import { tempDir } from '../helpers/tmp.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ config: { server: { rateLimit: { perClient: 10, perAddress: 2, windowMinutes: 60 } } } });
});

afterAll(async () => {
  await h?.close();
});

/** A request sent byte for byte as written (fetch and http.request would normalise the path). */
function raw(port: number, target: string, headers = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), text: data }));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`);
  });
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('feeds and pages', () => {
  it('serves each feed with its media type, a strong ETag, Last-Modified and Cache-Control', async () => {
    for (const [file, type] of [
      ['rss.xml', 'application/rss+xml; charset=utf-8'],
      ['atom.xml', 'application/atom+xml; charset=utf-8'],
      ['feed.json', 'application/feed+json; charset=utf-8'],
    ]) {
      const res = await fetch(h.url(`/${file}`), { headers: { 'Accept-Encoding': 'identity' } });
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
      expect(new Date(res.headers.get('last-modified')!).getTime()).not.toBeNaN();
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.byteLength(await res.text())).toBe(Number(res.headers.get('content-length')));
    }
  });

  it('answers If-None-Match and If-Modified-Since with 304 and no body; a changed tag gets the file', async () => {
    const first = await fetch(h.url('/rss.xml'));
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    await first.arrayBuffer();
    const same = await fetch(h.url('/rss.xml'), { headers: { 'If-None-Match': etag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    // A list of tags, weak or strong, and the compressed form's tag all mean the same content.
    const listed = await fetch(h.url('/rss.xml'), { headers: { 'If-None-Match': `"nope", W/${etag.replace(/(-gz|-br)?"$/, '-br"')}` } });
    expect(listed.status).toBe(304);
    const since = await fetch(h.url('/rss.xml'), { headers: { 'If-Modified-Since': lastModified } });
    expect(since.status).toBe(304);
    const older = await fetch(h.url('/rss.xml'), { headers: { 'If-Modified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() } });
    expect(older.status).toBe(200);
    await older.arrayBuffer();
    const other = await fetch(h.url('/rss.xml'), { headers: { 'If-None-Match': '"something-else"' } });
    expect(other.status).toBe(200);
    expect((await other.text()).startsWith('<?xml')).toBe(true);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const get = await fetch(h.url('/atom.xml'), { headers: { 'Accept-Encoding': 'identity' } });
    const body = await get.text();
    const head = await raw(h.service.port, '/atom.xml', 'Accept-Encoding: identity\r\n').then(() => fetch(h.url('/atom.xml'), { method: 'HEAD', headers: { 'Accept-Encoding': 'identity' } }));
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(await head.text()).toBe('');
  });

  it('compresses with brotli or gzip when asked, each with its own ETag, the same bytes inside', async () => {
    const plain = Buffer.from(await (await fetch(h.url('/rss.xml'), { headers: { 'Accept-Encoding': 'identity' } })).arrayBuffer());
    const viaRaw = async (encoding: string) => {
      const r = await new Promise<Buffer>((resolve, reject) => {
        const socket = connect(h.service.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (d: Buffer) => chunks.push(d));
        socket.on('error', reject);
        socket.on('end', () => resolve(Buffer.concat(chunks)));
        socket.write(`GET /rss.xml HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${encoding}\r\nConnection: close\r\n\r\n`);
      });
      const split = r.indexOf('\r\n\r\n');
      return { head: r.subarray(0, split).toString('latin1'), body: r.subarray(split + 4) };
    };
    const br = await viaRaw('gzip;q=0.5, br');
    expect(br.head).toMatch(/content-encoding: br/i);
    expect(br.head).toMatch(/etag: "[^"]+-br"/i);
    expect(br.head).toMatch(/vary: Accept-Encoding/i);
    expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.length / 2);
    const gz = await viaRaw('gzip');
    expect(gz.head).toMatch(/content-encoding: gzip/i);
    expect(gz.head).toMatch(/etag: "[^"]+-gz"/i);
    expect(gunzipSync(gz.body).equals(plain)).toBe(true);
  });

  it('serves the index, an article page, the editions index and the feed stylesheet with their types', async () => {
    const index = await fetch(h.url('/'));
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    expect(html).toContain('/editions/');
    const article = html.match(/href="[^"]*(\/articles\/[^"]+\.html)"/)![1]!;
    expect((await fetch(h.url(article))).status).toBe(200);
    const editions = await fetch(h.url('/editions/'));
    expect(editions.status).toBe(200);
    expect(await editions.text()).toContain('\u5f80\u671f\u90ae\u4ef6\u6458\u8981');
    const xsl = await fetch(h.url('/feed.xsl'));
    expect(xsl.headers.get('content-type')).toBe('text/xsl; charset=utf-8');
    expect(await xsl.text()).toContain('xsl:stylesheet');
    const rss = await (await fetch(h.url('/rss.xml'))).text();
    expect(rss.split('\n')[1]).toBe('<?xml-stylesheet type="text/xsl" href="feed.xsl"?>');
  });

  it('puts CSP, nosniff and Referrer-Policy on pages', async () => {
    for (const p of ['/', '/editions/', '/nothing-here.html']) {
      const res = await fetch(h.url(p));
      expect(res.headers.get('content-security-policy'), p).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
      expect(res.headers.get('x-content-type-options'), p).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), p).toBeTruthy();
    }
    const page = await fetch(h.url(`/unsubscribe?token=x`));
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });
});

describe('path traversal', () => {
  const secretOutside = 'OUTSIDE-SECRET-9f3a';
  beforeAll(async () => {
    const outside = await tempDir('broadsheet-outside-');
    await writeFile(path.join(outside, 'secret.html'), secretOutside);
    await mkdir(path.join(h.dir, 'public', 'linked'), { recursive: true });
    await symlink(path.join(outside, 'secret.html'), path.join(h.dir, 'public', 'linked', 'out.html'));
    await symlink(outside, path.join(h.dir, 'public', 'outdir'));
    await writeFile(path.join(h.dir, 'data', 'secret.html'), secretOutside);
  });

  it.each([
    '/../data/secret.html',
    '/articles/../../data/secret.html',
    '/%2e%2e/data/secret.html',
    '/%2E%2E/%2e%2E/etc/passwd',
    '/articles/..%2f..%2fdata%2fsecret.html',
    '/..%5c..%5cdata%5csecret.html',
    '/articles\\..\\..\\data\\secret.html',
    '/index.html%00.xml',
    '//etc/passwd',
    '/etc/passwd',
    'http://127.0.0.1/../data/secret.html',
    '/linked/out.html',
    '/outdir/secret.html',
    '/.well-hidden',
    '/%c0%ae%c0%ae/data/secret.html',
  ])('refuses %s', async (target) => {
    const r = await raw(h.service.port, target);
    expect([400, 404]).toContain(r.status);
    expect(r.text).not.toContain(secretOutside);
    expect(r.text).not.toContain('root:');
  });

  it('refuses a NUL byte in the path', async () => {
    const r = await raw(h.service.port, '/index.html\u0000');
    expect(r.status).toBe(400);
  });
});

describe('subscribing', () => {
  const confirmLink = (address: string) => {
    const mail = h.smtp.received.filter((m) => m.rcptTo.includes(address)).at(-1);
    if (!mail) return null;
    return /(http:\/\/127\.0\.0\.1:\d+\/confirm\?token=[^\s"<]+)/.exec(mail.parsed.text ?? '')?.[1] ?? null;
  };
  const waitForMail = async (address: string) => {
    for (let i = 0; i < 400 && !confirmLink(address); i++) await new Promise((r) => setTimeout(r, 25));
    return confirmLink(address);
  };

  it('form → pending + confirmation email → confirm link → active; the answer is the same for a known address', async () => {
    const res = await fetch(h.url('/subscribe'), { ...form({ email: 'Reader@Example.com', name: '读者', schedule: 'weekly' }), headers: { ...form({}).headers, 'X-Forwarded-For': '10.0.0.1' } });
    expect(res.status).toBe(202);
    const page = await res.text();
    expect(page).toContain('\u8bf7\u67e5\u6536\u786e\u8ba4\u90ae\u4ef6');
    expect((await h.store.subscribers.get({ email: 'reader@example.com' }))?.status).toBe('pending');
    const link = await waitForMail('reader@example.com');
    expect(link).not.toBeNull();
    const confirmed = await fetch(link!.replace(/&amp;/g, '&'));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('\u8ba2\u9605\u6210\u529f');
    const s = await h.store.subscribers.get({ email: 'reader@example.com' });
    expect(s).toMatchObject({ status: 'active', schedule: 'weekly', name: '读者', origin: 'web' });
    // Known and active now: the same answer, and no mail.
    const before = h.smtp.received.length;
    const again = await fetch(h.url('/subscribe'), form({ email: 'reader@example.com' }));
    expect(again.status).toBe(202);
    expect(await again.text()).toBe(page);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.smtp.received.length).toBe(before);
  });

  it('answers JSON to JSON', async () => {
    const res = await fetch(h.url('/subscribe'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'json@example.com' }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'check-your-inbox' });
    const bad = await fetch(h.url('/subscribe'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'json2@example.com', schedule: 'hourly' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'schedule' });
  });

  it.each([
    [{ email: 'not-an-address' }, '\u90ae\u7bb1'],
    [{ email: 'evil@example.com\r\nBcc: victim@example.com' }, '\u90ae\u7bb1'],
    [{ email: 'crlf@example.com', name: 'x\r\nBcc: y@example.com' }, '\u79f0\u547c'],
    [{ email: 'sched@example.com', schedule: 'hourly' }, '\u9891\u7387'],
  ])('refuses %j with 400, a readable page, and stores nothing', async (fields, word) => {
    const res = await fetch(h.url('/subscribe'), form(fields as Record<string, string>));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(word);
    for (const email of ['evil@example.com', 'crlf@example.com', 'sched@example.com']) expect(await h.store.subscribers.get({ email })).toBeNull();
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await fetch(h.url('/subscribe'), form({ email: 'big@example.com', name: 'x'.repeat(20 * 1024) }));
    expect(res.status).toBe(413);
    expect(await h.store.subscribers.get({ email: 'big@example.com' })).toBeNull();
  });
});

describe('tokens', () => {
  let id: string;
  beforeAll(async () => {
    id = 'ab'.repeat(16);
    await h.store.subscribers.change({ email: 'member@example.com' }, () => ({
      next: {
        id,
        email: 'member@example.com',
        name: null,
        schedule: 'daily',
        status: 'active',
        origin: 'cli',
        createdAt: '2026-01-01T00:00:00Z',
        confirmedAt: '2026-01-01T00:00:00Z',
        unsubscribedAt: null,
        bouncedAt: null,
        bounceReason: null,
        updatedAt: '2026-01-01T00:00:00Z',
        confirmNonce: 'nonce',
      },
      result: null,
    }));
  });
  const links = () => subscriberLinks(h.config.site.baseUrl, SECRET, id);
  const statusOf = async () => (await h.store.subscribers.get({ id }))?.status;

  it.each([
    ['malformed', 'garbage'],
    ['forged', signToken('another secret of the right length......', 'unsubscribe', 'ab'.repeat(16))],
    ['wrong scope', signToken(SECRET, 'confirm', 'ab'.repeat(16), new Date(), 'nonce')],
    ['missing', ''],
  ])('a %s token gets 400 with a readable page and changes nothing', async (_what, token) => {
    for (const [method, p] of [['GET', '/unsubscribe'], ['POST', '/unsubscribe'], ['GET', '/preferences'], ['POST', '/preferences']] as const) {
      const res = await fetch(h.url(`${p}?token=${encodeURIComponent(token)}`), method === 'POST' ? form({ 'List-Unsubscribe': 'One-Click', schedule: 'weekly' }) : {});
      expect(res.status, `${method} ${p}`).toBe(400);
      expect(await res.text()).toMatch(/\u94fe\u63a5/);
    }
    expect(await statusOf()).toBe('active');
  });

  it('a confirm token expired after 7 days gets 400', async () => {
    const old = signToken(SECRET, 'confirm', id, new Date(Date.now() - 8 * 24 * 3600_000), 'nonce');
    const res = await fetch(h.url(`/confirm?token=${encodeURIComponent(old)}`));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('\u8fc7\u671f');
  });

  it('preferences: GET shows the form; POST changes schedule and name', async () => {
    const page = await fetch(links().preferencesUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('member@example.com');
    expect((await h.store.subscribers.get({ id }))?.schedule).toBe('daily');
    const saved = await fetch(links().preferencesUrl, form({ schedule: 'weekly', name: '老读者' }));
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('\u5df2\u4fdd\u5b58');
    expect(await h.store.subscribers.get({ id })).toMatchObject({ schedule: 'weekly', name: '老读者', status: 'active' });
    const bad = await fetch(links().preferencesUrl, form({ schedule: 'hourly' }));
    expect(bad.status).toBe(400);
    expect((await h.store.subscribers.get({ id }))?.schedule).toBe('weekly');
  });

  it('GET /unsubscribe shows one button and unsubscribes nobody; POST One-Click unsubscribes, idempotently', async () => {
    const page = await fetch(links().unsubscribeUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.match(/<button/g)).toHaveLength(1);
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(await statusOf()).toBe('active');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(links().unsubscribeUrl, form({ 'List-Unsubscribe': 'One-Click' }));
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('\u5df2\u9000\u8ba2');
      expect(await statusOf()).toBe('unsubscribed');
    }
    // As a mail provider sends it: multipart/form-data.
    const fd = new FormData();
    fd.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(links().unsubscribeUrl, { method: 'POST', body: fd })).status).toBe(200);
  });

  it('never logs a token', async () => {
    const token = new URL(links().unsubscribeUrl).searchParams.get('token')!;
    await (await fetch(links().unsubscribeUrl)).arrayBuffer();
    const all = h.logs.join('');
    expect(all).toContain('"path":"/unsubscribe"');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.').at(-1));
  });
});

describe('rate limits', () => {
  it('a flood from one client gets 429 with Retry-After, and sends at most the limit of confirmations', async () => {
    const statuses: number[] = [];
    const before = h.smtp.received.length;
    for (let i = 0; i < 12; i++) {
      const res = await fetch(h.url('/subscribe'), { ...form({ email: `flood${i}@example.com` }), headers: { ...form({}).headers } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(10);
    const stored = await Promise.all(Array.from({ length: 12 }, (_, i) => h.store.subscribers.get({ email: `flood${i}@example.com` })));
    expect(stored.filter(Boolean).length).toBe(statuses.filter((s) => s === 202).length);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.smtp.received.length - before).toBeLessThanOrEqual(10);
  });

  it('one target address gets at most perAddress confirmations, from however many clients (X-Forwarded-For ignored unless trusted)', async () => {
    // Without --trust-proxy every request here is one client (127.0.0.1), already over its limit from the flood:
    // the per-address limit is shown by the trusted-proxy service below.
    const res = await fetch(h.url('/subscribe'), { ...form({ email: 'target@example.com' }), headers: { ...form({}).headers, 'X-Forwarded-For': '203.0.113.9' } });
    expect(res.status).toBe(429);
  });
});

describe('behind a trusted proxy', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness({ config: { server: { trustProxy: true, rateLimit: { perClient: 3, perAddress: 2, windowMinutes: 60 } } } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('limits per X-Forwarded-For client, and per target address across clients', async () => {
    const post = (email: string, client: string) =>
      fetch(p.url('/subscribe'), { ...form({ email }), headers: { ...form({}).headers, 'X-Forwarded-For': `198.51.100.200, ${client}` } });
    const target = [];
    for (let i = 0; i < 5; i++) target.push((await post('victim@example.com', `192.0.2.${i + 1}`)).status);
    expect(target).toEqual([202, 202, 429, 429, 429]);
    const client = [];
    for (let i = 0; i < 4; i++) client.push((await post(`c${i}@example.com`, '192.0.2.50')).status);
    expect(client).toEqual([202, 202, 202, 429]);
    await new Promise((r) => setTimeout(r, 300));
    expect(p.smtp.received.filter((m) => m.rcptTo.includes('victim@example.com')).length).toBeLessThanOrEqual(2);
  });
});

describe('health and metrics', () => {
  it('/healthz reports the store, the last build and each schedule', async () => {
    const res = await fetch(h.url('/healthz'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { schedules: Record<string, unknown> };
    expect(body).toMatchObject({ store: { reachable: true }, build: { sources: 2, articles: 3, rejected: [] } });
    expect(Object.keys(body.schedules)).toEqual(['daily', 'weekly']);
    expect(body.schedules.daily).toMatchObject({ cron: '0 7 * * *', timeZone: 'Asia/Shanghai', lastEdition: null });
  });

  it('/metrics is Prometheus text with builds and requests by route and status', async () => {
    const res = await fetch(h.url('/metrics'));
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^broadsheet_builds_total\{result="ok"\} 1$/m);
    expect(text).toMatch(/^broadsheet_http_requests_total\{route="static:feed",method="GET",status="200"\} \d+$/m);
    expect(text).toMatch(/^broadsheet_http_requests_total\{route="\/subscribe",method="POST",status="429"\} \d+$/m);
    expect(text).toContain('broadsheet_deliveries_total');
  });
});
