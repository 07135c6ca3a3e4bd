// The subscription routes: sign-up, confirm, unsubscribe (RFC 8058 one-click)
// and preferences. The token in the link is the credential; GETs only show,
// POSTs change. Input is checked once by the subscribers/ service functions,
// which throw named errors; the app maps them to statuses (errors.ts).
import type { Context, Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import { sitePath } from '../site/urls.ts';
import { changePreferences, subscriberByToken } from '../subscribers/preferences.ts';
import { type SubscriptionDeps, checkSubscription, confirm, subscribe, unsubscribeByToken } from '../subscribers/service.ts';
import type { SubscribeLimits } from './limits.ts';
import type { ServicePages } from './pages.ts';
import type { Env } from './env.ts';

export interface SubscriptionRoutesDeps {
  config: Config;
  subscriptions: SubscriptionDeps;
  limits: SubscribeLimits;
  pages: ServicePages;
}

/** JSON for API clients (a JSON body, or Accept asking for JSON rather than HTML). */
export function wantsJson(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  const accept = c.req.header('accept') ?? '';
  return type.startsWith('application/json') || (accept.includes('application/json') && !accept.includes('text/html'));
}

/** The form's text fields (URL-encoded, multipart or JSON); anything but a string is refused with its field named. */
async function fields(c: Context, names: readonly string[]): Promise<Record<string, string | undefined>> {
  const type = c.req.header('content-type') ?? '';
  let raw: Record<string, unknown>;
  if (type.startsWith('application/json')) {
    raw = await c.req.json().catch(() => {
      throw new InputError('body', 'the body is not valid JSON');
    });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError('body', 'the body must be a JSON object');
  } else if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    raw = await c.req.parseBody();
  } else if (type === '') {
    raw = {};
  } else {
    throw new InputError('body', `unsupported content type ${type.split(';')[0]} (use a form or JSON)`);
  }
  const out: Record<string, string | undefined> = {};
  for (const name of names) {
    const v = raw[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new InputError(name as InputError['field'], `${name} must be text`);
    out[name] = v;
  }
  return out;
}

function tokenOf(c: Context): string {
  const token = c.req.query('token');
  if (!token) throw new InputError('token', 'the link has no token');
  return token;
}

const CHECK_INBOX = {
  heading: '\u8bf7\u67e5\u6536\u786e\u8ba4\u90ae\u4ef6',
  paragraphs: [
    '\u5982\u679c\u8fd9\u4e2a\u5730\u5740\u8fd8\u6ca1\u6709\u8ba2\u9605\uff0c\u6211\u4eec\u5df2\u5411\u5b83\u53d1\u9001\u4e00\u5c01\u786e\u8ba4\u90ae\u4ef6\u3002\u8bf7\u6253\u5f00\u90ae\u4ef6\uff0c\u70b9\u51fb\u5176\u4e2d\u7684\u94fe\u63a5\u5b8c\u6210\u8ba2\u9605\u3002',
    '\u6ca1\u6709\u6536\u5230\uff1f\u8bf7\u770b\u770b\u5783\u573e\u90ae\u4ef6\u6587\u4ef6\u5939\uff0c\u6216\u7a0d\u540e\u518d\u8bd5\u3002\u5df2\u7ecf\u8ba2\u9605\u7684\u5730\u5740\u4e0d\u4f1a\u91cd\u590d\u6536\u5230\u6458\u8981\u3002',
  ],
};

const LINK_INVALID = {
  heading: '\u94fe\u63a5\u5df2\u5931\u6548',
  paragraphs: ['\u8fd9\u4e2a\u94fe\u63a5\u5df2\u4e0d\u80fd\u4f7f\u7528\u3002\u5982\u9700\u8ba2\u9605\uff0c\u8bf7\u5728\u9996\u9875\u91cd\u65b0\u586b\u5199\u90ae\u7bb1\u3002'],
};

export function subscriptionRoutes(app: Hono<Env>, deps: SubscriptionRoutesDeps): void {
  const { config, subscriptions, limits, pages } = deps;
  const scheduleName = (id: string) => config.schedules[id]?.name ?? id;

  app.post(sitePath.subscribe, async (c) => {
    c.set('route', sitePath.subscribe);
    await limits.client(c.get('client'));
    const f = await fields(c, ['email', 'name', 'schedule']);
    // Checked (and refused, storing nothing) before the address counts against its limit.
    const checked = checkSubscription(config, { email: f.email ?? '', name: f.name, schedule: f.schedule });
    await limits.target(checked.email);
    await subscribe(subscriptions, { email: checked.email, name: checked.name, schedule: checked.schedule, origin: 'web' });
    // The same answer whether the address was new, pending or already active: nothing to enumerate.
    if (wantsJson(c)) return c.json({ status: 'check-your-inbox' }, 202);
    return c.html(pages.message(CHECK_INBOX.heading, CHECK_INBOX), 202);
  });

  app.get(sitePath.confirm, async (c) => {
    c.set('route', sitePath.confirm);
    const { outcome, subscriber } = await confirm(subscriptions, tokenOf(c));
    if ((outcome === 'confirmed' || outcome === 'already-active') && subscriber) {
      const heading = '\u8ba2\u9605\u6210\u529f';
      return c.html(
        pages.message(heading, {
          heading,
          paragraphs: [
            `${subscriber.email} \u5c06\u6536\u5230\u300c${scheduleName(subscriber.schedule)}\u300d\u90ae\u4ef6\u6458\u8981\u3002`,
            '\u6bcf\u5c01\u90ae\u4ef6\u5e95\u90e8\u90fd\u6709\u9000\u8ba2\u548c\u4fee\u6539\u8ba2\u9605\u8bbe\u7f6e\u7684\u94fe\u63a5\u3002',
          ],
        }),
      );
    }
    // Unsubscribed or bounced since: an old confirmation link must not bring the address back.
    return c.html(pages.message(LINK_INVALID.heading, LINK_INVALID), 400);
  });

  app.get(sitePath.unsubscribe, async (c) => {
    c.set('route', sitePath.unsubscribe);
    const token = tokenOf(c);
    // Shows a page with one button and changes nothing: link scanners follow GETs.
    const subscriber = await subscriberByToken(subscriptions, token);
    if (!subscriber) return c.html(pages.message(LINK_INVALID.heading, LINK_INVALID), 400);
    return c.html(pages.unsubscribe({ email: subscriber.email, schedule: subscriber.schedule, done: subscriber.status === 'unsubscribed', token }));
  });

  app.post(sitePath.unsubscribe, async (c) => {
    c.set('route', sitePath.unsubscribe);
    const token = tokenOf(c);
    // RFC 8058: mail providers POST `List-Unsubscribe=One-Click`. Any POST with a valid token unsubscribes:
    // the token is the credential, and a provider's slightly different body must not keep mail coming.
    const { subscriber } = await unsubscribeByToken(subscriptions, token);
    if (wantsJson(c)) return c.json({ status: 'unsubscribed' });
    if (!subscriber) return c.html(pages.message('\u5df2\u9000\u8ba2', { heading: '\u5df2\u9000\u8ba2', paragraphs: ['\u8fd9\u4e2a\u5730\u5740\u4e0d\u4f1a\u518d\u6536\u5230\u90ae\u4ef6\u6458\u8981\u3002'] }));
    return c.html(pages.unsubscribe({ email: subscriber.email, schedule: subscriber.schedule, done: true, token }));
  });

  app.get(sitePath.preferences, async (c) => {
    c.set('route', sitePath.preferences);
    const token = tokenOf(c);
    const s = await subscriberByToken(subscriptions, token);
    if (!s) return c.html(pages.message(LINK_INVALID.heading, LINK_INVALID), 400);
    const active = s.status === 'active' || s.status === 'pending';
    return c.html(pages.preferences({ email: s.email, name: s.name, schedule: s.schedule, active, saved: false, token }));
  });

  app.post(sitePath.preferences, async (c) => {
    c.set('route', sitePath.preferences);
    const token = tokenOf(c);
    const f = await fields(c, ['name', 'schedule']);
    const { outcome, subscriber: s } = await changePreferences(subscriptions, token, { name: f.name, schedule: f.schedule });
    if (!s) return c.html(pages.message(LINK_INVALID.heading, LINK_INVALID), 400);
    if (wantsJson(c)) return c.json({ status: outcome, schedule: s.schedule, name: s.name });
    const active = outcome !== 'not-subscribed';
    return c.html(pages.preferences({ email: s.email, name: s.name, schedule: s.schedule, active, saved: active, token }));
  });
}
