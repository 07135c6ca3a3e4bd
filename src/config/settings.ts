// Everything a command or the server is configured by: the config (file,
// environment, flags) and the environment's secrets and service URLs, each
// read and validated once at start-up.
import { type Environment, parseEnvironment } from './env.ts';
import { loadConfig } from './load.ts';
import type { Config } from './schema.ts';

export interface Settings {
  config: Config;
  env: Environment;
  /** `--allow-local`: mail a real SMTP server from a local site (a test setup); see going-live checks in app/wiring.ts. */
  allowLocal: boolean;
}

export async function loadSettings(options: {
  /** Explicit config file (--config); BROADSHEET_CONFIG otherwise. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Values from command-line flags, applied last. */
  overrides?: Array<[string[], string | undefined]>;
  allowLocal?: boolean | undefined;
}): Promise<Settings> {
  const env = parseEnvironment(options.env);
  const { config } = await loadConfig({ file: options.file, env: options.env, overrides: options.overrides ?? [] });
  return { config, env, allowLocal: options.allowLocal ?? false };
}
