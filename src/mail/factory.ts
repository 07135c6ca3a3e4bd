// The one place that picks the transport: SMTP when SMTP_URL is set, the file
// outbox otherwise; and the one place that reads the DKIM key. Nothing else
// asks which transport it got.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import type { Environment } from '../config/env.ts';
import { type DkimSign, dkimSigner } from './dkim.ts';
import { OutboxTransport } from './outbox.ts';
import { SmtpTransport } from './smtp.ts';
import type { Transport } from './transport.ts';

/** The signer for mail.dkim, its key parsed once per process. */
async function dkimSign(config: Config): Promise<DkimSign | undefined> {
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
  try {
    return dkimSigner([{ domainName: d.domain, keySelector: d.selector, privateKey }]);
  } catch (err) {
    throw new ConfigError(`mail.dkim.privateKeyFile: error: ${d.privateKeyFile}: ${(err as Error).message.replace(/^dkimSigner: /, '')}`);
  }
}

export async function createTransport(config: Config, env: Pick<Environment, 'smtpUrl'>): Promise<Transport> {
  const sign = await dkimSign(config);
  if (env.smtpUrl !== null) return new SmtpTransport({ url: env.smtpUrl, ...config.mail.smtp, sign });
  return new OutboxTransport(path.normalize(config.paths.outbox), sign);
}
