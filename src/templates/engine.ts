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

export interface EngineOptions {
  /** false: everything renders through LiquidJS (the tests compare the two). */
  compile?: boolean;
  /**
   * The sources were already parsed by another engine (the one a worker
   * thread's copy is made from): each template is parsed when first used.
   * Article pages use a few of the twenty templates, and parsing them all
   * costs each thread about a tenth of a second.
   */
  checked?: boolean;
}

/**
 * An engine over in-memory sources. Every template is parsed now (unless
 * `checked`), so a broken one stops start-up with its file and line rather
 * than failing the first render.
 */
export function createEngine(sources: TemplateSources, dir = 'templates', options: EngineOptions = {}): TemplateEngine {
  // cache: partials and layouts are parsed once, not at every render.
  const liquidOptions = { templates: sources, cache: true, strictFilters: true, ownPropertyOnly: true, greedy: false };
  const html = new Liquid({ ...liquidOptions, outputEscape: 'escape' });
  const text = new Liquid(liquidOptions);
  const engineFor = (name: string) => (name.endsWith('.txt') ? text : html);
  const parsed = new Map<string, ReturnType<Liquid['parse']>>();
  const compiled = new Map<string, CompiledTemplate>();
  /** Parses and compiles a template; undefined when there is no such template. */
  const load = (name: string): ReturnType<Liquid['parse']> | undefined => {
    const done = parsed.get(name);
    if (done || !Object.hasOwn(sources, name)) return done;
    let tpl: ReturnType<Liquid['parse']>;
    try {
      tpl = engineFor(name).parse(sources[name]!, name);
    } catch (err) {
      throw new TemplateError(describe(err, dir, name));
    }
    parsed.set(name, tpl);
    const fast = options.compile === false ? null : compileTemplate(engineFor(name), tpl);
    if (fast) compiled.set(name, fast);
    return tpl;
  };
  if (!options.checked) for (const name of Object.keys(sources)) load(name);
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
    isCompiled: (name) => (load(name), compiled.has(name)),
    render(name, data) {
      const tpl = load(name);
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
      const tpl = load(name);
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
