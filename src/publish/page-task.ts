// Rendering and writing article pages: the task publish hands to the corpus
// stage, which runs it where each article already is (a worker thread, or
// this one). Its context is plain data, so a thread can set it up alone.
import type { ArticleTaskModule } from '../corpus/corpus.ts';
import { toPageItem } from '../feed/items.ts';
import type { Article } from '../model.ts';
import { articlePageRenderer, contentRenderer } from '../pages/render.ts';
import { type Site, siteViewOf } from '../site/site.ts';
import { Scratch, utf8Bound } from '../text/scratch.ts';
import { type TemplateEngine, type TemplateSources, createEngine } from '../templates/engine.ts';
import { writeOutputFile } from './output.ts';
import { inTurn } from './write-turn.ts';

export interface PageTaskContext {
  templates: TemplateSources;
  templatesDir: string;
  site: Site;
  /** Where to write and how (output.ts). */
  root: string;
  fresh: boolean;
  /** The threads that render pages write them in turn (write-turn.ts). */
  writeTurn: SharedArrayBuffer;
}

export interface PageJob {
  /** The page's path in the output folder. */
  file: string;
  slug: string;
  lastChanged: string | null;
}

/** Written (bytes changed or not), or refused by the file system for this page alone. */
export type PageResult = { written: boolean } | { failed: string; reason: string };

/**
 * The file system refusing one page's name (too long, a folder in the way,
 * bytes the file system cannot name), as opposed to the whole folder being
 * unwritable: only that page's source is rejected.
 */
const PAGE_ERRORS = new Set(['ENAMETOOLONG', 'EISDIR', 'EILSEQ', 'EINVAL']);

/** This thread's engines, by template set: parsing and compiling them is done once per thread. */
const engines = new WeakMap<TemplateSources, TemplateEngine>();

/** Lets pages rendered on the thread that made `engine` use it, rather than parse the templates again. */
export function adopt(engine: TemplateEngine): void {
  engines.set(engine.sources, engine);
}

/** The page of one article, as bytes to write: a function of the task's context. */
export function pageRenderer(ctx: Pick<PageTaskContext, 'templates' | 'templatesDir' | 'site'>): (article: Article, job: PageJob) => string {
  let engine = engines.get(ctx.templates);
  if (!engine) {
    // The thread that made the task parsed every template already (a broken one stops the build there).
    engine = createEngine(ctx.templates, ctx.templatesDir, { checked: true });
    engines.set(ctx.templates, engine);
  }
  const { site } = ctx;
  const renderPage = articlePageRenderer(engine, site, siteViewOf(site));
  const renderContent = contentRenderer(engine);
  return (article, job) => renderPage(toPageItem(article, job.slug, job.lastChanged, site, renderContent));
}

/** Pages rendered before they are written, in one turn: enough to keep the other thread rendering meanwhile. */
const TURN = 64;

/**
 * Where this thread encodes a turn's pages to UTF-8 (a page's bytes are a
 * view into it until written): one Buffer per page cost a full build a
 * tenth of a second of allocating. A turn of pages larger than 8 MB gets a
 * buffer of its own, so a long-lived `serve` keeps no more than that.
 */
const slab = new Scratch(1 << 20, 8 << 20);

/** The pages as UTF-8, one view each into the slab (valid until the next call). */
function encodeAll(htmls: string[]): Uint8Array[] {
  let bound = 0;
  for (const h of htmls) bound += utf8Bound(h);
  const buf = slab.take(bound);
  const views: Uint8Array[] = [];
  let at = 0;
  for (const h of htmls) {
    const n = buf.write(h, at, 'utf8');
    views.push(buf.subarray(at, at + n));
    at += n;
  }
  return views;
}

export const setup: ArticleTaskModule<PageTaskContext, PageJob, PageResult>['setup'] = (ctx) => {
  const render = pageRenderer(ctx);
  const output = { root: ctx.root, fresh: ctx.fresh };
  const turn = new Int32Array(ctx.writeTurn);
  const write = (file: string, html: Uint8Array): PageResult => {
    try {
      return { written: writeOutputFile(output, file, html) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code && PAGE_ERRORS.has(e.code)) return { failed: e.code, reason: e.message };
      throw err;
    }
  };
  return (batch) => {
    const results: PageResult[] = [];
    for (let start = 0; start < batch.length; start += TURN) {
      // Rendered and encoded outside the turn, so that the threads take turns only at the file system.
      const jobs = batch.slice(start, start + TURN);
      const bytes = encodeAll(jobs.map(({ article, input }) => render(article, input)));
      inTurn(turn, () => {
        jobs.forEach(({ input }, k) => results.push(write(input.file, bytes[k]!)));
      });
    }
    return results;
  };
};
