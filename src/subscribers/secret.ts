// The signing secret: BROADSHEET_SECRET, or one generated on first run and
// kept in the data folder, readable by the owner only. Never logged.
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Environment, MIN_SECRET_LENGTH as MIN_LENGTH } from '../config/env.ts';
import { ConfigError } from '../errors.ts';

/**
 * The secret. `warn` hears about a secret file other users can read: with
 * it, anyone on the machine can forge confirm and unsubscribe links.
 */
export async function loadSecret(env: Pick<Environment, 'secret'>, dataDir: string, warn: (message: string) => void = () => undefined): Promise<string> {
  // Checked when the environment was read (config/env.ts).
  if (env.secret !== null) return env.secret;
  const file = path.join(dataDir, 'secret');
  const existing = await readSecretFile(file);
  if (existing !== null) {
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warn(`${file}: warning: the token-signing secret is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); anyone who can read it can forge confirm and unsubscribe links: chmod 600 ${file}`);
    }
    return existing;
  }
  await mkdir(dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: a
  // process starting at the same moment sees no file or a complete one,
  // never an empty one (an empty key would let anyone forge tokens).
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const secret = await readSecretFile(file);
  if (secret === null) throw new ConfigError(`${file}: error: could not create the secret file`);
  return secret;
}

async function readSecretFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(`${file}: error: cannot read the secret file (${(err as NodeJS.ErrnoException).code})`);
  }
  const secret = text.trim();
  if (secret.length < MIN_LENGTH) {
    throw new ConfigError(`${file}: error: the secret is too short; delete the file to make a new one (old links stop working)`);
  }
  return secret;
}
