// The one place that picks the transport: SMTP when SMTP_URL is set, the file
// outbox otherwise. Nothing else asks which one it got.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import type { Environment } from '../config/env.ts';
import { OutboxTransport } from './outbox.ts';
import { type DkimOptions, SmtpTransport } from './smtp.ts';
import type { Transport } from './transport.ts';

async function dkimOptions(config: Config): Promise<DkimOptions | undefined> {
  const d = config.mail.dkim;
  if (!d) return undefined;
  let privateKey: string;
  try {
    privateKey = await readFile(d.privateKeyFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`mail.dkim.privateKeyFile: error: cannot read ${d.privateKeyFile} (${(err as NodeJS.ErrnoException).code})`);
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKey)) {
    throw new ConfigError(`mail.dkim.privateKeyFile: error: ${d.privateKeyFile} is not a PEM private key`);
  }
  return { domainName: d.domain, keySelector: d.selector, privateKey };
}

export async function createTransport(config: Config, env: Pick<Environment, 'smtpUrl'>): Promise<Transport> {
  const dkim = await dkimOptions(config);
  if (env.smtpUrl !== null) return new SmtpTransport({ url: env.smtpUrl, ...config.mail.smtp, dkim });
  return new OutboxTransport(path.normalize(config.paths.outbox), dkim);
}
