// Feed items from the sample articles (and variants of them) for digest tests.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { type DigestContext, type DigestItem, digestItemOf } from '../../src/digest/digest.ts';
import type { Article } from '../../src/model.ts';
import { parseInput } from '../../src/parse/input.ts';
import { digestContext } from '../../src/send/edition.ts';
import { createEngine, readTemplates, type TemplateEngine } from '../../src/templates/engine.ts';
import { ROOT } from './cli.ts';

export async function sampleArticles(): Promise<Article[]> {
  const out: Article[] = [];
  for (const f of ['000_9a07525249fe1bb1.txt', '003_451ae4ca37857149.txt']) {
    const bytes = await readFile(path.join(ROOT, 'articles', f));
    out.push(
      ...parseInput(
        { source: `articles/${f}`, stem: f.slice(0, -4), bytes, size: bytes.length, firstSeen: '2026-11-25T06:00:00+08:00' },
        { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 1 << 22 },
      ).articles,
    );
  }
  return out;
}

export interface DigestFixture {
  config: Config;
  engine: TemplateEngine;
  ctx: DigestContext;
  item(article: Article, n?: number): DigestItem;
}

export async function digestFixture(config: Record<string, unknown> = {}): Promise<DigestFixture> {
  const parsed = configSchema.parse({ ...config, paths: { templates: path.join(ROOT, 'templates') } });
  const engine = createEngine(await readTemplates(parsed.paths.templates));
  const ctx = digestContext(parsed, engine);
  return {
    config: parsed,
    engine,
    ctx,
    item: (article, n) => {
      const a = n === undefined ? article : { ...article, id: `${article.id}-${n}`, title: `${article.title}(第${n}篇)` };
      return digestItemOf(a, a.id.replace(/[#/]/g, '-'), ctx.site);
    },
  };
}
