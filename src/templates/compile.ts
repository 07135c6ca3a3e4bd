// Templates that LiquidJS has parsed, turned into plain functions.
//
// LiquidJS renders by walking its template tree through generators: a
// general design (sync and async from one code base) that costs about
// 0.3 ms per article page, 3 s for a 10,000-page build. This module walks the
// same tree once, when the engine is created, and builds closures that do
// what LiquidJS's render would do for the common subset of Liquid the site's
// pages use: text, `{{ output | filters }}`, if/elsif/else, unless, for
// (without limit/offset/reversed), comment, `render` of a named partial,
// `layout` with `block`s. Parsing, the operators, truthiness, the filters and
// partial lookup are still LiquidJS's own; only the walking is replaced.
//
// Anything outside that subset (a custom tag or filter, assign, capture,
// include, break, `{{ block.super }}`, a layout in a layout …) makes
// compileTemplate return null and the engine renders that template with
// LiquidJS as before, so a compiled template is only ever a faster way to
// the same bytes. tests/templates/compile.test.ts renders every template both
// ways and compares.
//
// A page template renders much that is the same on every page (the site's
// name, its feed links, the subscription form). withConstant() renders a
// template for data of which one part never changes: each part of the
// template that reads nothing but that part of the data (found when the
// template is compiled) is rendered once and then reused.
import {
  BlockTag,
  CommentTag,
  Context,
  Drop,
  ForTag,
  IfTag,
  LayoutTag,
  type Liquid,
  Output,
  RenderTag,
  TypeGuards,
  UnlessTag,
  filters as builtinFilters,
  isTruthy,
  toValue,
  toValueSync,
} from 'liquidjs';

/** What a compiled template gets: the data, as LiquidJS's `render(tpl, data)` would. */
export interface CompiledTemplate {
  (data: Record<string, unknown>): string;
  /**
   * The template rendered with `constant` and the data of each call
   * together (the constant's names win), as `render({ ...data, ...constant })`
   * would; the parts that read only the constant's names are rendered once.
   * The constant must not change while the function is used.
   */
  withConstant(constant: Record<string, unknown>): (data: Record<string, unknown>) => string;
}

type Scope = Record<string, unknown>;

/** One LiquidJS Context's worth of state: its scopes, environment, and the layout's blocks. */
interface Frame {
  /** Pushed scopes, innermost last (LiquidJS's ctx.scopes). */
  scopes: Scope[];
  environments: object;
  globals: object;
  /** The child's blocks while its layout renders. */
  blocks: Map<string, Node> | null;
  /** A LiquidJS Context for filters that want one (made on first use). */
  context: Context | null;
  data: object;
  liquid: Liquid;
}

/**
 * What a part of a template reads, found as it is compiled: names of the
 * render's data, and names bound by an enclosing `for` (kept with a NUL in
 * front, so they never match a name of the data). Opaque when its output
 * may depend on anything else: a filter (`date` reads the clock), a
 * computed variable name, a layout's blocks, a partial that does.
 */
interface Reads {
  names: Set<string>;
  opaque: boolean;
}

type Node = (frame: Frame) => string;
type Expr = (frame: Frame) => unknown;

class Refused extends Error {}

function refuse(why: string): never {
  throw new Refused(why);
}

// What LiquidJS does inside, reproduced where it is not exported: its
// utilities (stringify, toEnumerable, readProperty) and ForloopDrop, line for line.
const hasOwn = Object.prototype.hasOwnProperty;
const isArray = (v: unknown): v is unknown[] => Object.prototype.toString.call(v) === '[object Array]';
const isObject = (v: unknown): v is object => v !== null && (typeof v === 'object' || typeof v === 'function');

function stringify(value: unknown): string {
  value = toValue(value);
  if (typeof value === 'string') return value;
  if (value == null) return '';
  if (isArray(value)) return value.map((x) => stringify(x)).join('');
  return String(value);
}

function toEnumerable(val: unknown): unknown[] {
  val = toValue(val);
  if (isArray(val)) return val;
  if (typeof val === 'string' && val.length > 0) return [val];
  if (isObject(val) && Symbol.iterator in val) return Array.from(val as Iterable<unknown>);
  if (isObject(val)) return Object.keys(val).map((key) => [key, (val as Scope)[key]]);
  return [];
}

function toLiquid(value: unknown): unknown {
  const v = value as { toLiquid?: () => unknown } | null | undefined;
  if (v && typeof v.toLiquid === 'function') return toLiquid(v.toLiquid());
  return value;
}

function readArrayElement(arr: unknown[], index: number): unknown {
  if (index < 0) index = arr.length + index;
  if (!hasOwn.call(arr, index)) return undefined;
  return arr[index];
}

function readJSProperty(obj: object, key: PropertyKey): unknown {
  if (!hasOwn.call(obj, key) && !(obj instanceof Drop)) return undefined;
  return (obj as Record<PropertyKey, unknown>)[key];
}

function readSize(obj: unknown): unknown {
  const o = obj as Record<string, unknown>;
  if (hasOwn.call(o, 'size') || o['size'] !== undefined) return o['size'];
  if (isArray(obj) || typeof obj === 'string') return obj.length;
  if (typeof obj === 'object') return Object.keys(obj as object).length;
  return undefined;
}

/** Context.readProperty with ownPropertyOnly (the engine's setting). */
function readProperty(frame: Frame, obj: unknown, key: unknown): unknown {
  obj = toLiquid(obj);
  key = toValue(key);
  if (obj == null) return obj;
  if (isArray(obj) && typeof key === 'number') return readArrayElement(obj, key);
  const value = readJSProperty(obj as object, key as PropertyKey);
  if (value === undefined && obj instanceof Drop) return obj.liquidMethodMissing(key as string, contextOf(frame));
  if (typeof value === 'function') return value.call(obj);
  if (key === 'size') return readSize(obj);
  if (key === 'first') return isArray(obj) ? readArrayElement(obj, 0) : readJSProperty(obj as object, 'first');
  if (key === 'last') return isArray(obj) ? readArrayElement(obj, -1) : readJSProperty(obj as object, 'last');
  return value;
}

/**
 * readProperty for a key known when compiling: a string other than size,
 * first and last. The steps readProperty takes for other keys (an array's
 * element, `size`, `first`, `last`) never apply to it.
 */
function readNamed(frame: Frame, obj: unknown, key: string): unknown {
  obj = toLiquid(obj);
  if (obj == null) return obj;
  const value = readJSProperty(obj as object, key);
  if (value === undefined && obj instanceof Drop) return obj.liquidMethodMissing(key, contextOf(frame));
  if (typeof value === 'function') return value.call(obj);
  return value;
}

/** Keys readNamed reads as readProperty would. */
function isPlainKey(key: unknown): key is string {
  return typeof key === 'string' && key !== 'size' && key !== 'first' && key !== 'last';
}

function findScope(frame: Frame, key: string): object {
  for (let i = frame.scopes.length - 1; i >= 0; i--) {
    const candidate = frame.scopes[i]!;
    if (key in candidate) return candidate;
  }
  if (key in frame.environments) return frame.environments;
  return frame.globals;
}

function createScope(from?: Scope): Scope {
  const scope = Object.create(null) as Scope;
  if (from) Object.assign(scope, from);
  return scope;
}

/** LiquidJS's ForloopDrop: same fields in the same order, so `{{ forloop }}` prints the same JSON. */
class ForloopDrop extends Drop {
  // Assigned in LiquidJS's order (i, length, name): `{{ forloop | json }}` prints the same.
  i: number;
  length: number;
  name: string;
  constructor(length: number, name: string) {
    super();
    this.i = 0;
    this.length = length;
    this.name = name;
  }
  next() {
    this.i++;
  }
  index0() {
    return this.i;
  }
  index() {
    return this.i + 1;
  }
  first() {
    return this.i === 0;
  }
  last() {
    return this.i === this.length - 1;
  }
  rindex() {
    return this.length - this.i;
  }
  rindex0() {
    return this.length - this.i - 1;
  }
  override valueOf() {
    return JSON.stringify(this);
  }
}

function contextOf(frame: Frame): Context {
  // Filters other than escape get a real Context over the same data; the
  // filters allowed here never read variables through it.
  frame.context ??= new Context(frame.data, frame.liquid.options, { sync: true }, { liquid: frame.liquid } as never);
  return frame.context;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/**
 * Whether text holds a character to escape. Every paragraph of every page
 * is looked through: five native searches for one character each take less
 * than one regex search for any of five.
 */
function escapable(s: string): boolean {
  return s.indexOf('&') !== -1 || s.indexOf('<') !== -1 || s.indexOf('>') !== -1 || s.indexOf('"') !== -1 || s.indexOf("'") !== -1;
}

/** LiquidJS's escape filter, with a fast path for text that needs none (most of it). */
function escapeHtml(value: unknown): string {
  const s = stringify(value);
  return escapable(s) ? s.replace(/&|<|>|"|'/g, (m) => ESCAPES[m]!) : s;
}

const BINARY = new Set(['==', '!=', '>', '<', '>=', '<=', 'contains', 'and', 'or']);

/** Builtin filters that read no variables through their Context (the `_exp` ones do). */
function allowedFilter(name: string, impl: unknown): boolean {
  const builtin = (builtinFilters as Record<string, unknown>)[name];
  return builtin !== undefined && builtin === impl && !name.endsWith('_exp');
}

class Compiler {
  private readonly partials = new Map<string, Node>();
  /**
   * Inside a block, or in the part of a child outside its blocks, a nested
   * block behaves in ways this module does not reproduce (LiquidJS stores
   * or re-enters it): such templates are left to LiquidJS.
   */
  private noBlocks = false;
  private readonly opts: { opts: Liquid['options'] };
  private readonly escapeFilter: unknown;
  /** Reads of the parts being compiled, innermost last. */
  private readonly reading: Reads[] = [{ names: new Set(), opaque: false }];
  /** Names bound by the enclosing `for` tags (the loop variable and forloop). */
  private bound: string[] = [];
  /** Inside a partial (`render`), where names are its arguments, not the render's data: nothing there is memoised. */
  private inPartial = 0;
  /** Opaque partials, by the key of this.partials. */
  private readonly opaquePartials = new Set<string>();

  /**
   * @param constant the names of the data that are the same at every render
   * of this compilation (withConstant), or null: the parts that read no
   * other names are rendered once.
   */
  constructor(
    private readonly liquid: Liquid,
    private readonly constant: ReadonlySet<string> | null = null,
  ) {
    this.opts = { opts: liquid.options };
    this.escapeFilter = (builtinFilters as Record<string, unknown>)['escape'];
    if (liquid.options.jsTruthy || liquid.options.lenientIf || liquid.options.strictVariables || !liquid.options.ownPropertyOnly) {
      refuse('engine options outside the compiled subset');
    }
    if (liquid.options.keepOutputType || liquid.options.catchAllErrors || liquid.options.orderedFilterParameters) refuse('options');
    if (Object.keys(liquid.options.globals ?? {}).length > 0) refuse('globals');
  }

  /** Top-level templates: a `layout` tag takes the rest of its file as the child. */
  list(templates: unknown[], inChild = false): Node {
    const nodes: Node[] = [];
    for (const tpl of templates) {
      if (tpl instanceof LayoutTag) {
        if (inChild) refuse('a layout inside a layout');
        nodes.push(this.layout(tpl));
        continue;
      }
      nodes.push(this.child(tpl));
    }
    return join(nodes);
  }

  /** A part of a list; rendered once when it reads only constant names (and is more than text). */
  private child(tpl: unknown): Node {
    const reads: Reads = { names: new Set(), opaque: false };
    this.reading.push(reads);
    let node: Node;
    try {
      node = this.node(tpl);
    } finally {
      this.reading.pop();
    }
    this.merge(reads);
    const constant = this.constant;
    // Names bound by a loop start with a NUL: never constant.
    if (constant && this.inPartial === 0 && !reads.opaque && !isText(tpl) && [...reads.names].every((n) => constant.has(n))) {
      node = once(node);
    }
    return node;
  }

  /** Adds what a part reads to the part around it. */
  private merge(reads: Reads): void {
    const outer = this.reading[this.reading.length - 1]!;
    for (const n of reads.names) outer.names.add(n);
    if (reads.opaque) outer.opaque = true;
  }

  private read(name: string): void {
    this.reading[this.reading.length - 1]!.names.add(this.bound.includes(name) ? `\u0000${name}` : name);
  }

  private opaque(): void {
    this.reading[this.reading.length - 1]!.opaque = true;
  }

  private node(tpl: unknown): Node {
    const t = tpl as { token?: unknown; str?: unknown; constructor: { name: string } };
    if (isHtml(tpl)) {
      const s = t.str as string;
      return () => s;
    }
    if (tpl instanceof Output) return this.output(tpl);
    if (tpl instanceof IfTag) return this.ifTag(tpl);
    if (tpl instanceof UnlessTag) return this.unlessTag(tpl);
    if (tpl instanceof ForTag) return this.forTag(tpl);
    if (tpl instanceof CommentTag) return () => '';
    if (tpl instanceof RenderTag) return this.renderTag(tpl);
    if (tpl instanceof BlockTag) return this.blockTag(tpl);
    return refuse(`tag ${t.constructor.name}`);
  }

  private templates(list: unknown): Node {
    if (!Array.isArray(list)) refuse('templates');
    return join(list.map((t) => this.child(t)));
  }

  private output(tpl: Output): Node {
    const value = this.value(tpl.value);
    return (f) => stringify(toValue(value(f)));
  }

  /** A Value: an expression and its filters. */
  private value(v: unknown): Expr {
    const value = v as { initial?: { postfix?: unknown[] }; filters?: unknown[] };
    if (!value.initial || !Array.isArray(value.initial.postfix) || !Array.isArray(value.filters)) refuse('value');
    let expr = this.expression(value.initial.postfix);
    for (const filter of value.filters) expr = this.filter(expr, filter);
    return expr;
  }

  private filter(input: Expr, f: unknown): Expr {
    const filter = f as { name?: unknown; handler?: unknown; args?: unknown[]; raw?: boolean; liquid?: unknown; token?: unknown };
    if (typeof filter.name !== 'string' || typeof filter.handler !== 'function' || !Array.isArray(filter.args)) refuse('filter');
    const { handler, token, liquid } = filter;
    if (handler === this.escapeFilter && filter.args.length === 0) return (fr) => escapeHtml(input(fr));
    if (filter.name === 'raw' && filter.raw === true && filter.args.length === 0) return input;
    if (!allowedFilter(filter.name, handler)) refuse(`filter ${filter.name}`);
    // Other filters may read more than their input (`date` reads the clock): never memoised.
    this.opaque();
    const args = filter.args.map((arg): ((fr: Frame) => unknown) => {
      if (Array.isArray(arg)) {
        const value = this.token(arg[1]);
        const key = arg[0] as unknown;
        return (fr) => [key, value(fr)];
      }
      return this.token(arg);
    });
    const fn = handler as (...a: unknown[]) => unknown;
    return (fr) => {
      const argv = args.map((a) => a(fr));
      return toValueSync(fn.apply({ context: contextOf(fr), token, liquid }, [input(fr), ...argv]) as never);
    };
  }

  private expression(postfix: unknown[]): Expr {
    const operands: Expr[] = [];
    for (const token of postfix) {
      if (TypeGuards.isOperatorToken(token as never)) {
        const op = (token as { operator: string }).operator;
        const impl = (this.liquid.options.operators as Record<string, (...a: unknown[]) => unknown>)[op];
        if (!impl) refuse(`operator ${op}`);
        const opts = this.opts;
        if (op === 'not') {
          const r = operands.pop() ?? refuse('operand');
          operands.push((f) => toValueSync(impl(r(f), opts) as never));
        } else if (BINARY.has(op)) {
          const r = operands.pop() ?? refuse('operand');
          const l = operands.pop() ?? refuse('operand');
          operands.push((f) => {
            // Both sides are evaluated, left first, as LiquidJS does (no short circuit).
            const lv = l(f);
            return toValueSync(impl(lv, r(f), opts) as never);
          });
        } else {
          refuse(`operator ${op}`);
        }
        continue;
      }
      operands.push(this.token(token));
    }
    if (operands.length !== 1) refuse('expression');
    return operands[0]!;
  }

  /** evalToken: a literal, or a property access. */
  private token(token: unknown): Expr {
    if (token === undefined) return () => undefined;
    const t = token as { content?: unknown; variable?: unknown; props?: unknown[] };
    if (typeof t === 'object' && t !== null && 'content' in t) {
      const content = t.content;
      return () => content;
    }
    if (!TypeGuards.isPropertyAccessToken(token as never) || !Array.isArray(t.props)) return refuse('token');
    const props = t.props.map((p) => this.token(p));
    const names = t.props.map((p) => (p as { content?: unknown }).content);
    if (t.variable === undefined) {
      // `{{ block.super }}` needs the block drop LiquidJS pushes; not compiled.
      if (names[0] === 'block') refuse('block variable');
      if (typeof names[0] === 'string') this.read(names[0]);
      else this.opaque();
      const [first, ...rest] = props;
      if (!first) refuse('empty property access');
      // The usual case, `site.title`: every key written out, none of them special.
      const literal = t.props.every((p) => typeof p === 'object' && p !== null && 'content' in p);
      if (literal && names.every(isPlainKey)) {
        const keys = names as string[];
        const head = keys[0]!;
        return (f) => {
          let v = readNamed(f, findScope(f, head), head);
          for (let i = 1; i < keys.length; i++) v = readNamed(f, v, keys[i]!);
          return v;
        };
      }
      return (f) => {
        const key = toValue(first(f));
        let v = readProperty(f, findScope(f, key as string), key);
        for (const p of rest) v = readProperty(f, v, toValue(p(f)));
        return v;
      };
    }
    const base = this.token(t.variable);
    return (f) => {
      let v = base(f);
      for (const p of props) v = readProperty(f, v, toValue(p(f)));
      return v;
    };
  }

  private ifTag(tag: IfTag): Node {
    const t = tag as unknown as { branches?: Array<{ value: unknown; templates: unknown }>; elseTemplates?: unknown };
    if (!Array.isArray(t.branches)) refuse('if');
    const branches = t.branches.map((b) => ({ value: this.value(b.value), templates: this.templates(b.templates) }));
    const otherwise = this.templates(t.elseTemplates ?? []);
    const opts = this.opts;
    return (f) => {
      for (const b of branches) if (isTruthy(toValue(b.value(f)), opts as never)) return b.templates(f);
      return otherwise(f);
    };
  }

  private unlessTag(tag: UnlessTag): Node {
    const t = tag as unknown as { branches?: Array<{ value: unknown; test: unknown; templates: unknown }>; elseTemplates?: unknown };
    if (!Array.isArray(t.branches)) refuse('unless');
    const branches = t.branches.map((b) => {
      if (typeof b.test !== 'function') refuse('unless test');
      return { value: this.value(b.value), test: b.test as (v: unknown, ctx: unknown) => boolean, templates: this.templates(b.templates) };
    });
    const otherwise = this.templates(t.elseTemplates ?? []);
    const opts = this.opts;
    return (f) => {
      for (const b of branches) if (b.test(toValue(b.value(f)), opts)) return b.templates(f);
      return otherwise(f);
    };
  }

  private forTag(tag: ForTag): Node {
    const t = tag as unknown as {
      variable?: unknown;
      collection?: { getText?: () => string };
      hash?: { hash?: object };
      templates?: unknown;
      elseTemplates?: unknown;
    };
    if (typeof t.variable !== 'string' || !t.collection?.getText || !t.hash?.hash) refuse('for');
    if (Object.keys(t.hash.hash).length > 0) refuse('for with limit, offset or reversed');
    const variable = t.variable;
    const name = `${variable}-${t.collection.getText()}`;
    const collection = this.token(t.collection);
    // The body reads the loop's names: what it reads of them is the loop's own business.
    const bodyReads: Reads = { names: new Set(), opaque: false };
    const outerBound = this.bound;
    this.bound = [...outerBound, variable, 'forloop'];
    this.reading.push(bodyReads);
    let body: Node;
    try {
      body = this.templates(t.templates);
    } finally {
      this.reading.pop();
      this.bound = outerBound;
    }
    bodyReads.names.delete(`\u0000${variable}`);
    bodyReads.names.delete('\u0000forloop');
    this.merge(bodyReads);
    const otherwise = this.templates(t.elseTemplates ?? []);
    return (f) => {
      const items = toEnumerable(collection(f));
      if (!items.length) return otherwise(f);
      const forloop = new ForloopDrop(items.length, name);
      const scope = createScope({ forloop });
      f.scopes.push(scope);
      let out = '';
      for (const item of items) {
        scope[variable] = item;
        out += body(f);
        forloop.next();
      }
      f.scopes.pop();
      return out;
    };
  }

  private renderTag(tag: RenderTag): Node {
    const t = tag as unknown as { file?: unknown; currentFile?: string; hash?: { hash?: Record<string, unknown> }; with?: unknown; forBinding?: unknown };
    if (typeof t.file !== 'string' || !t.file || t.with || t.forBinding || !t.hash?.hash) refuse('render');
    const partial = this.partial(t.file, t.currentFile, 'partial');
    // What the partial renders is a function of its arguments (it sees nothing else), unless it is opaque.
    if (this.opaquePartials.has(this.partialKey(t.file, t.currentFile, 'partial'))) this.opaque();
    const args = Object.entries(t.hash.hash).map(([key, token]) => [key, token === undefined ? () => true : this.token(token)] as const);
    return (f) => {
      const bottom = createScope();
      for (const [key, value] of args) bottom[key] = value(f);
      // ctx.spawn(): a fresh context whose only variables are the arguments.
      return partial({ scopes: [bottom], environments: {}, globals: f.globals, blocks: null, context: null, data: {}, liquid: f.liquid });
    };
  }

  private partialKey(file: string, currentFile: string | undefined, kind: 'partial' | 'layout'): string {
    return `${kind}:${currentFile ?? ''}:${file}`;
  }

  private partial(file: string, currentFile: string | undefined, kind: 'partial' | 'layout'): Node {
    const key = this.partialKey(file, currentFile, kind);
    const done = this.partials.get(key);
    if (done) return done;
    const liquid = this.liquid as unknown as Record<string, (file: string, sync: boolean, current?: string) => unknown>;
    const parseFile = kind === 'partial' ? liquid['_parsePartialFile'] : liquid['_parseLayoutFile'];
    if (typeof parseFile !== 'function') refuse('partial lookup');
    let templates: unknown;
    try {
      templates = toValueSync(parseFile.call(this.liquid, file, true, currentFile) as never);
    } catch {
      refuse(`${kind} ${file} not found`);
    }
    if (!Array.isArray(templates)) refuse(kind);
    // Placeholder for recursion; the real node replaces it. A partial that
    // renders itself counts as opaque.
    let node: Node = () => refuse('recursive partial');
    this.partials.set(key, (f) => node(f));
    this.opaquePartials.add(key);
    const saved = this.noBlocks;
    const savedBound = this.bound;
    this.noBlocks = false;
    // A layout renders in the template's own context; a partial in one of its own, from its arguments.
    if (kind === 'partial') this.inPartial++;
    this.bound = [];
    const reads: Reads = { names: new Set(), opaque: false };
    this.reading.push(reads);
    try {
      node = this.list(templates, kind === 'layout');
    } finally {
      this.reading.pop();
      this.noBlocks = saved;
      this.bound = savedBound;
      if (kind === 'partial') this.inPartial--;
    }
    if (!reads.opaque) this.opaquePartials.delete(key);
    // A layout's reads are the template's; a partial's names are its arguments, read where it is rendered.
    if (kind === 'layout') this.merge(reads);
    this.partials.set(key, node);
    return node;
  }

  /**
   * `{% layout 'x' %}` and the rest of the file: the rest is rendered for its
   * blocks (and, without an anonymous block, its text), then the layout with them.
   */
  private layout(tag: LayoutTag): Node {
    const t = tag as unknown as { file?: unknown; currentFile?: string; args?: { hash?: object }; templates?: unknown[] };
    if (typeof t.file !== 'string' || !t.args?.hash || Object.keys(t.args.hash).length > 0 || !Array.isArray(t.templates)) refuse('layout');
    const layout = this.partial(t.file, t.currentFile, 'layout');
    const blocks = new Map<string, Node>();
    const rest: Node[] = [];
    for (const tpl of t.templates) {
      if (tpl instanceof BlockTag) {
        const b = tpl as unknown as { block?: unknown; templates?: unknown };
        if (typeof b.block !== 'string') refuse('block');
        blocks.set(b.block, this.withoutBlocks(() => this.templates(b.templates)));
      } else {
        rest.push(this.withoutBlocks(() => this.child(tpl)));
      }
    }
    const anonymous = blocks.has('') ? null : join(rest);
    return (f) => {
      const own = new Map(blocks);
      if (anonymous) {
        const html = anonymous(f);
        own.set('', () => html);
      } else {
        // Rendered for its side effects only, as LiquidJS does; none in this subset.
        for (const n of rest) n(f);
      }
      const saved = f.blocks;
      f.blocks = own;
      f.scopes.push(createScope());
      const out = layout(f);
      f.scopes.pop();
      f.blocks = saved;
      return out;
    };
  }

  private withoutBlocks<T>(fn: () => T): T {
    const saved = this.noBlocks;
    this.noBlocks = true;
    try {
      return fn();
    } finally {
      this.noBlocks = saved;
    }
  }

  /** A block outside a child: the child's version while its layout renders, else its own content. */
  private blockTag(tag: BlockTag): Node {
    const b = tag as unknown as { block?: unknown; templates?: unknown };
    if (typeof b.block !== 'string' || this.noBlocks) refuse('block');
    const name = b.block;
    // What it renders depends on the template that uses the layout.
    this.opaque();
    const own = this.withoutBlocks(() => this.templates(b.templates));
    return (f) => {
      const child = f.blocks?.get(name);
      if (!child) return own(f);
      // The child's block renders with the layout's blocks out of reach (no nesting in this subset).
      const saved = f.blocks;
      f.blocks = null;
      const out = child(f);
      f.blocks = saved;
      return out;
    };
  }
}

/** Literal HTML between tags. */
function isHtml(tpl: unknown): boolean {
  const t = tpl as { token?: unknown; str?: unknown };
  return Boolean(t.token && TypeGuards.isHTMLToken(t.token as never) && typeof t.str === 'string');
}

/** Literal HTML or a comment: nothing worth rendering once. */
function isText(tpl: unknown): boolean {
  return isHtml(tpl) || tpl instanceof CommentTag;
}

/** Strings, numbers, booleans, null, and arrays and plain objects of them: what renders the same every time. */
function isPlainData(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || value === undefined) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype && value.every((v) => isPlainData(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  return Object.values(descriptors).every((d) => 'value' in d && isPlainData(d.value, depth + 1));
}

/** A node rendered at its first render only; its output is kept for the next ones. */
function once(node: Node): Node {
  let out: string | undefined;
  return (f) => (out ??= node(f));
}

function join(nodes: Node[]): Node {
  if (nodes.length === 0) return () => '';
  if (nodes.length === 1) return nodes[0]!;
  return (f) => {
    let out = '';
    for (const n of nodes) out += n(f);
    return out;
  };
}

/**
 * A function that renders `templates` (parsed by `liquid`) exactly as
 * `liquid.renderSync(templates, data)` would, or null when the template uses
 * something outside the compiled subset.
 */
export function compileTemplate(liquid: Liquid, templates: unknown[]): CompiledTemplate | null {
  const globals = liquid.options.globals ?? {};
  const runner = (root: Node) => (data: Record<string, unknown>) => {
    const environments = isObject(data) ? data : Object(data);
    return root({ scopes: [createScope()], environments, globals, blocks: null, context: null, data: environments, liquid });
  };
  let render: CompiledTemplate;
  try {
    render = runner(new Compiler(liquid).list(templates)) as CompiledTemplate;
  } catch (err) {
    if (err instanceof Refused) return null;
    throw err;
  }
  render.withConstant = (constant) => {
    // Anything but plain data (a Drop, a getter, a function) could render differently each time.
    // Compiled again, knowing the constant names: the parts that read nothing else are rendered once.
    const run = isPlainData(constant) ? runner(new Compiler(liquid, new Set(Object.keys(constant))).list(templates)) : render;
    return (data) => run(Object.assign({}, data, constant));
  };
  return render;
}
