// Reads the config file and the environment, validates once, and names the
// field and line of anything wrong.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { lineOfPath, yamlMessage } from '../yaml-position.ts';
import { type Config, configSchema } from './schema.ts';
import { ConfigError } from '../errors.ts';

export const DEFAULT_CONFIG_FILE = 'broadsheet.config.yaml';

/** Environment variables that set a config field, and the field they set. */
const ENV_FIELDS: Array<[string, string[]]> = [
  ['BROADSHEET_ARTICLES', ['paths', 'articles']],
  ['BROADSHEET_OUT', ['paths', 'out']],
  ['BROADSHEET_TEMPLATES', ['paths', 'templates']],
  ['BROADSHEET_DATA', ['paths', 'data']],
  ['BROADSHEET_DB', ['paths', 'db']],
  ['BROADSHEET_OUTBOX', ['paths', 'outbox']],
  ['BROADSHEET_BASE_URL', ['site', 'baseUrl']],
];

export interface LoadConfigOptions {
  /** Explicit config file (flag --config or env BROADSHEET_CONFIG); must exist. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Values from command-line flags, applied last. */
  overrides?: Array<[string[], string | undefined]>;
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

export async function loadConfig(options: LoadConfigOptions): Promise<{ config: Config; file: string | null }> {
  const explicit = options.file ?? options.env.BROADSHEET_CONFIG;
  const file = explicit ?? DEFAULT_CONFIG_FILE;
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || explicit !== undefined) {
      throw new ConfigError(`${file}: error: cannot read the config file (${(err as NodeJS.ErrnoException).code})`);
    }
  }

  let raw: Record<string, unknown> = {};
  const counter = new LineCounter();
  const doc = text === null ? null : parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  if (doc) {
    const e = doc.errors[0];
    if (e) throw new ConfigError(`${file}:${e.linePos?.[0]?.line ?? 1}: error: invalid YAML: ${yamlMessage(e.message)}`);
    let value: unknown;
    try {
      // A few aliases are fine; thousands are a "billion laughs" attack that would eat the memory.
      value = doc.toJS({ maxAliasCount: 50 }) ?? {};
    } catch (err) {
      throw new ConfigError(`${file}:1: error: invalid YAML: ${yamlMessage((err as Error).message)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`${file}:1: error: the config must be a mapping of sections (site, paths, …)`);
    }
    raw = value as Record<string, unknown>;
  }

  const origin = new Map<string, string>();
  for (const [name, path] of ENV_FIELDS) {
    const value = options.env[name];
    if (value !== undefined && value !== '') {
      setIn(raw, path, value);
      origin.set(path.join('.'), `environment variable ${name}`);
    }
  }
  for (const [path, value] of options.overrides ?? []) {
    if (value !== undefined) {
      setIn(raw, path, value);
      origin.set(path.join('.'), 'command line');
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      const from = origin.get(field);
      const place = from
        ? `${from}`
        : doc
          ? `${file}:${lineOfPath(doc, counter, issue.path) ?? 1}`
          : 'config';
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message;
      return `${place}: error: ${field || '(top level)'}: ${message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return { config: parsed.data, file: text === null ? null : file };
}
