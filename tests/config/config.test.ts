import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { configSchema } from '../../src/config/schema.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

describe('config', () => {
  it('the example config spells out exactly the defaults', async () => {
    const { config } = await loadConfig({ file: path.join(ROOT, 'broadsheet.config.example.yaml'), env: {} });
    expect(config).toEqual(configSchema.parse({}));
  });

  it('lets the environment override the file and names the variable when its value is bad', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'c.yaml': 'paths:\n  articles: from-file\n' });
    const file = path.join(dir, 'c.yaml');
    const { config } = await loadConfig({ file, env: { BROADSHEET_ARTICLES: 'from-env' } });
    expect(config.paths.articles).toBe('from-env');
    await expect(loadConfig({ file, env: { BROADSHEET_BASE_URL: 'ftp://x' } })).rejects.toThrow(
      'environment variable BROADSHEET_BASE_URL: error: site.baseUrl: must be an absolute http(s) URL',
    );
  });

  it('reports invalid YAML with the file and line', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'c.yaml': 'site:\n  title: [x\n' });
    const err = await loadConfig({ file: path.join(dir, 'c.yaml'), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/c\.yaml:\d+: error: invalid YAML: /);
  });

  it('fails when an explicit config file is missing', async () => {
    await expect(loadConfig({ file: '/nonexistent/broadsheet.yaml', env: {} })).rejects.toThrow(
      '/nonexistent/broadsheet.yaml: error: cannot read the config file (ENOENT)',
    );
  });
});
