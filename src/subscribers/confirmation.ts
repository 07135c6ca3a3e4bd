// The double opt-in email: rendered once per schedule through the same path
// as the digest, personalised with each subscriber's confirm link.
import type { Config } from '../config/schema.ts';
import { mjmlToHtml } from '../mail/mjml.ts';
import { type Personalise, personaliser, renderMail } from '../mail/render.ts';
import { senderOf } from '../mail/sender.ts';
import type { Transport } from '../mail/transport.ts';
import { siteOf, siteViewOf } from '../site/site.ts';

import type { TemplateEngine } from '../templates/engine.ts';
import type { Subscriber } from './lifecycle.ts';
import { confirmUrl } from './links.ts';

export interface ConfirmationDeps {
  config: Config;
  engine: TemplateEngine;
  transport: Transport;
  secret: string;
  clock: () => Date;
  /** Random lower-case hex, for the placeholder nonce. */
  random: () => string;
}

export interface ConfirmationSender {
  send(subscriber: Subscriber): Promise<void>;
}

/**
 * `张三，` for the greeting, or nothing. The address is not confirmed yet, so
 * the name may be anyone's text aimed at a stranger: a name that could carry
 * a link or an address (. : / @ < > and the like) is left out, and so is a
 * long one.
 */
export function greetingOf(name: string | null): string {
  if (name === null || name.length > 30 || /[.:/\\@<>\[\]()（）{}|=_~#%&]|www/i.test(name)) return '';
  return `${name}\uFF0C`;
}

export function confirmationSender(deps: ConfirmationDeps): ConfirmationSender {
  const { config, engine, transport } = deps;
  const sender = senderOf(config);
  const rendered = new Map<string, Promise<{ personalise: Personalise; subject: string }>>();
  const site = siteViewOf(siteOf(config));

  const renderFor = (scheduleId: string) => {
    let r = rendered.get(scheduleId);
    if (!r) {
      const schedule = { id: scheduleId, name: config.schedules[scheduleId]?.name ?? scheduleId };
      const subject = engine.renderText(config.mail.confirmSubject, { site: site.title, schedule: schedule.name });
      r = renderMail(engine, mjmlToHtml, { mjml: 'confirm.mjml', text: 'confirm.txt' }, { site, schedule, title: subject, preheader: subject }, deps.random(), config.paths.templates).then((mail) => ({
        personalise: personaliser(mail),
        subject,
      }));
      rendered.set(scheduleId, r);
    }
    return r;
  };

  return {
    async send(subscriber) {
      const now = deps.clock();
      const { personalise, subject } = await renderFor(subscriber.schedule);
      const { html, text } = personalise({
        greeting: greetingOf(subscriber.name),
        email: subscriber.email,
        confirm_url: confirmUrl(config.site.baseUrl, deps.secret, subscriber, now),
      });
      await transport.send({
        messageId: `<confirm.${subscriber.id}.${now.getTime().toString(36)}@${sender.domain}>`,
        date: now,
        from: sender.from,
        replyTo: sender.replyTo,
        to: { name: subscriber.name, address: subscriber.email },
        subject,
        html,
        text,
      });
    },
  };
}
