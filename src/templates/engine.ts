// LiquidJS owns every template: pages, feed item bodies, emails. Templates
// are read from disk once (readTemplates, at the edge) and rendered from
// memory, with HTML escaping on by default.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Liquid, LiquidError } from 'liquidjs';
import { TemplateError } from '../errors.ts';

/**
 * Template sources by path relative to the templates folder (`index.liquid`,
 * `partials/item.mjml`). `.txt` templates (plain-text email parts) are
 * rendered without HTML escaping; everything else escapes by default.
 */
export type TemplateSources = Record<string, string>;

export async function readTemplates(dir: string): Promise<TemplateSources> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (err) {
    throw new TemplateError(`${dir}: error: cannot read the templates folder (${(err as NodeJS.ErrnoException).code})`);
  }
  const sources: TemplateSources = {};
  for (const entry of entries.sort()) {
    if (!/\.(liquid|mjml|txt)$/.test(entry)) continue;
    const rel = entry.split(path.sep).join('/');
    if (rel.split('/').some((p) => p.startsWith('.'))) continue;
    sources[rel] = await readFile(path.join(dir, entry), 'utf8');
  }
  return sources;
}

export interface TemplateEngine {
  /** Renders a template by path (`index.liquid`) with data. */
  render(name: string, data: Record<string, unknown>): string;
  /** Renders a pattern from the config (a subject line): plain text, no HTML escaping. */
  renderText(pattern: string, data: Record<string, unknown>): string;
  /** The template sources, for cache keys. */
  readonly sources: TemplateSources;
}

/** `templates/index.liquid:12: error: …` */
function describe(err: unknown, dir: string, name: string): string {
  if (err instanceof LiquidError) {
    const token = (err as LiquidError & { token?: { file?: string; getPosition?: () => [number, number] } }).token;
    const file = token?.file ?? name;
    const line = token?.getPosition?.()[0];
    const message = err.message.replace(/, line:\d+, col:\d+$/, '');
    return `${path.join(dir, file)}${line ? `:${line}` : ''}: error: ${message}`;
  }
  return `${path.join(dir, name)}: error: ${(err as Error).message}`;
}

/**
 * An engine over in-memory sources. Every template is parsed now, so a
 * broken one stops start-up with its file and line rather than failing the
 * first render.
 */
export function createEngine(sources: TemplateSources, dir = 'templates'): TemplateEngine {
  const options = { templates: sources, strictFilters: true, ownPropertyOnly: true, greedy: false };
  const html = new Liquid({ ...options, outputEscape: 'escape' });
  const text = new Liquid(options);
  const engineFor = (name: string) => (name.endsWith('.txt') ? text : html);
  const parsed = new Map<string, ReturnType<Liquid['parse']>>();
  for (const [name, source] of Object.entries(sources)) {
    try {
      parsed.set(name, engineFor(name).parse(source, name));
    } catch (err) {
      throw new TemplateError(describe(err, dir, name));
    }
  }
  return {
    sources,
    render(name, data) {
      const tpl = parsed.get(name);
      if (!tpl) throw new TemplateError(`${path.join(dir, name)}: error: template not found`);
      try {
        return engineFor(name).renderSync(tpl, data) as string;
      } catch (err) {
        throw new TemplateError(describe(err, dir, name));
      }
    },
    renderText(pattern, data) {
      return (text.parseAndRenderSync(pattern, data) as string).replace(/\s+/g, ' ').trim();
    },
  };
}
