// Who the mail comes from, derived once from the config.
import { isIP } from 'node:net';
import type { Config } from '../config/schema.ts';

export interface Sender {
  from: { name: string; address: string };
  replyTo?: string | undefined;
  /** The domain for Message-IDs and List-Ids. */
  domain: string;
}

export function senderOf(config: Config): Sender {
  const host = new URL(config.site.baseUrl).hostname;
  // An IP address or a bare host name is no mail domain; keep ids well-formed.
  const siteDomain = isIP(host) !== 0 || !host.includes('.') ? 'localhost.localdomain' : host;
  const address = config.mail.from.address ?? `noreply@${siteDomain}`;
  return {
    from: { name: config.mail.from.name ?? config.site.title, address },
    replyTo: config.mail.replyTo,
    domain: address.slice(address.lastIndexOf('@') + 1),
  };
}

/** `山西日报 每日要闻 <daily.news.example.com>`: how mail clients group and filter a schedule's editions. */
export function listIdOf(config: Config, scheduleId: string, sender: Sender): string {
  const name = config.schedules[scheduleId]?.name ?? scheduleId;
  return `${config.site.title} ${name} <${scheduleId}.${sender.domain}>`;
}
