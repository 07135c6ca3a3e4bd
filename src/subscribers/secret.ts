// The signing secret: BROADSHEET_SECRET, or one generated on first run and
// kept in the data folder, readable by the owner only. Never logged.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

const MIN_LENGTH = 32;

export async function loadSecret(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  const fromEnv = env.BROADSHEET_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH) {
      throw new ConfigError(`environment variable BROADSHEET_SECRET: error: must be at least ${MIN_LENGTH} characters (try: openssl rand -hex 32)`);
    }
    return fromEnv;
  }
  const file = path.join(dataDir, 'secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length < MIN_LENGTH) throw new ConfigError(`${file}: error: the secret is too short; delete the file to make a new one (old links stop working)`);
    return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  try {
    // 'wx': if another process made it first, use theirs.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw err;
  }
}
