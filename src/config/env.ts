// The environment variables that are not config fields (secrets and service
// URLs), read once at start-up into one validated object. The ones that set a
// config field (BROADSHEET_ARTICLES, …) are applied by load.ts. Nothing else
// in broadsheet reads the environment.
import { ConfigError } from '../errors.ts';

export interface Environment {
  /** `smtp://user:pass@host:587` or `smtps://…` (SMTP_URL): send through this server instead of the file outbox. */
  smtpUrl: string | null;
  /** `postgres://…` (DATABASE_URL): use PostgreSQL instead of the SQLite file. */
  databaseUrl: string | null;
  /** The token-signing secret (BROADSHEET_SECRET); null: the generated file in the data folder. */
  secret: string | null;
}

/** Characters of a secret given in the environment, at least. */
export const MIN_SECRET_LENGTH = 32;

function problem(variable: string, message: string): ConfigError {
  return new ConfigError(`environment variable ${variable}: error: ${message}`);
}

export function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? null : env[name]!);

  const smtpUrl = value('SMTP_URL');
  if (smtpUrl !== null) {
    let parsed: URL;
    try {
      parsed = new URL(smtpUrl);
    } catch {
      throw problem('SMTP_URL', 'not a URL (smtp://user:pass@host:587 or smtps://…)');
    }
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw problem('SMTP_URL', `must start with smtp:// or smtps://, not ${parsed.protocol}//`);
    }
    if (parsed.hostname === '') throw problem('SMTP_URL', 'names no host (smtp://user:pass@host:587)');
  }

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== null) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw problem('DATABASE_URL', 'must be a postgres:// or postgresql:// URL (unset it to use the SQLite file)');
    }
    try {
      new URL(databaseUrl);
    } catch {
      throw problem('DATABASE_URL', 'not a URL (postgres://user:pass@host:5432/db)');
    }
  }

  const secret = value('BROADSHEET_SECRET');
  if (secret !== null && secret.length < MIN_SECRET_LENGTH) {
    throw problem('BROADSHEET_SECRET', `must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -hex 32)`);
  }

  return { smtpUrl, databaseUrl, secret };
}
