// LiquidJS owns every template: pages, feed item bodies, emails. Templates
// are read from disk once (readTemplates, at the edge), parsed once, and
// rendered from memory, with HTML escaping on by default. A build renders
// tens of thousands of pages, so each parsed template is also compiled into
// a plain function (compile.ts) that gives the same bytes several times
// faster; a template outside the compiled subset is rendered by LiquidJS.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Liquid, LiquidError } from 'liquidjs';
import { TemplateError } from '../errors.ts';
import { type CompiledTemplate, compileTemplate } from './compile.ts';

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
  /**
   * Renders a template many times with data of which a part never changes
   * (the site's view, on every article page): `renderer(name, constant)(data)`
   * is `render(name, { ...data, ...constant })`, but what reads only the
   * constant is rendered once. The constant must not change afterwards.
   */
  renderer(name: string, constant: Record<string, unknown>): (data: Record<string, unknown>) => string;
  /** Renders a pattern from the config (a subject line): plain text, no HTML escaping. */
  renderText(pattern: string, data: Record<string, unknown>): string;
  /** The template sources, for cache keys. */
  readonly sources: TemplateSources;
  /** The folder they came from, for messages. */
  readonly dir: string;
  /** Whether a template renders through its compiled form (false: through LiquidJS). */
  isCompiled(name: string): boolean;
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
 * first render. `compile: false` renders everything through LiquidJS (the
 * tests compare the two).
 */
export function createEngine(sources: TemplateSources, dir = 'templates', options: { compile?: boolean } = {}): TemplateEngine {
  // cache: partials and layouts are parsed once, not at every render.
  const liquidOptions = { templates: sources, cache: true, strictFilters: true, ownPropertyOnly: true, greedy: false };
  const html = new Liquid({ ...liquidOptions, outputEscape: 'escape' });
  const text = new Liquid(liquidOptions);
  const engineFor = (name: string) => (name.endsWith('.txt') ? text : html);
  const parsed = new Map<string, ReturnType<Liquid['parse']>>();
  const compiled = new Map<string, CompiledTemplate>();
  for (const [name, source] of Object.entries(sources)) {
    try {
      parsed.set(name, engineFor(name).parse(source, name));
    } catch (err) {
      throw new TemplateError(describe(err, dir, name));
    }
    const fast = options.compile === false ? null : compileTemplate(engineFor(name), parsed.get(name)!);
    if (fast) compiled.set(name, fast);
  }
  const slow = (name: string, tpl: ReturnType<Liquid['parse']>, data: Record<string, unknown>): string => {
    try {
      return engineFor(name).renderSync(tpl, data) as string;
    } catch (err) {
      throw new TemplateError(describe(err, dir, name));
    }
  };
  return {
    sources,
    dir,
    isCompiled: (name) => compiled.has(name),
    render(name, data) {
      const tpl = parsed.get(name);
      if (!tpl) throw new TemplateError(`${path.join(dir, name)}: error: template not found`);
      const fast = compiled.get(name);
      if (fast) {
        try {
          return fast(data);
        } catch {
          // LiquidJS says what went wrong, with the template's line.
        }
      }
      return slow(name, tpl, data);
    },
    renderer(name, constant) {
      const tpl = parsed.get(name);
      if (!tpl) throw new TemplateError(`${path.join(dir, name)}: error: template not found`);
      const fast = compiled.get(name)?.withConstant(constant);
      return (data) => {
        if (fast) {
          try {
            return fast(data);
          } catch {
            // LiquidJS says what went wrong, with the template's line.
          }
        }
        return slow(name, tpl, Object.assign({}, data, constant));
      };
    },
    renderText(pattern, data) {
      return (text.parseAndRenderSync(pattern, data) as string).replace(/\s+/g, ' ').trim();
    },
  };
}
