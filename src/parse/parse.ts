// The parser: source text in, articles and diagnostics out. Pure: no file
// system, no clock (the moment the source was first seen is passed in), no
// environment. It never throws on any text.
import type { Article, Diagnostic, Section, Severity } from '../model.ts';
import { cleanText } from '../text/sanitize.ts';
import { restoreFullWidthPunctuation } from '../text/punctuation.ts';
import {
  SENTENCE_PUNCTUATION,
  cutAtClause,
  endsSentence,
  firstSentence,
  length,
  lengthAtMost,
  sentenceEnd,
  stripFinalMark,
} from '../text/sentences.ts';
import { type FrontMatter, splitFrontMatter } from './front-matter.ts';
import { type BylineMatch, type CreditMatch, matchByline, matchEditorCredit } from './byline.ts';
import { type SiteMoment, matchDateline, parseFrontMatterDate, resolveDateline, siteMoment } from './dateline.ts';

export interface ParseOptions {
  /** The source path as the user sees it (used in diagnostics and `Article.source`). */
  source: string;
  /** The path relative to the articles folder without extension, for ids (`000_9a07…`). */
  stem: string;
  /** RFC 3339: when this source was first seen; dates fall back to it. */
  firstSeen: string;
  /** IANA time zone of the site, e.g. `Asia/Shanghai`. */
  timeZone: string;
  /** Restore full-width punctuation next to CJK text. */
  punctuation: boolean;
  /** The decoder found the text clean already (DecodeResult.clean): cleanText need not look again. */
  clean?: boolean;
}

export interface ParseResult {
  articles: Article[];
  diagnostics: Diagnostic[];
}

/** Longest kicker (引题) line, in characters. */
const KICKER_MAX = 40;
/** Longest section heading (小店区, 中北高新区 …), in characters. */
const HEADING_MAX = 16;
/** Longest subtitle (副题) line, in characters. */
const SUBTITLE_MAX = 80;
/** Derived titles are cut to this many characters. */
const DERIVED_TITLE_MAX = 40;
/** Summaries are cut at a sentence end near this many characters. */
const SUMMARY_MAX = 120;

// Texts below are tidied (full-width punctuation restored when the option is
// on); a text line and a block also keep `written`, the text as the source
// has it, for the few rules that were written against that. Every line has
// the same fields (unused ones empty), and so has every block: objects of one
// shape keep the hot code simple for the JIT.
interface Line {
  kind: 'blank' | 'headline' | 'subheading' | 'text';
  /** 1 or 2 for a headline (# or ##), else 0. */
  level: number;
  text: string;
  written: string;
  line: number;
}

interface Block {
  kind: 'text' | 'subheading';
  text: string;
  written: string;
  line: number;
  endLine: number;
}

interface Headline {
  text: string;
  line: number;
  level: number;
}

interface Group {
  headline: Headline | null;
  blocks: Block[];
  kicker: Block | null;
}

type Report = (line: number, severity: Severity, code: string, message: string) => void;

const HEADING = /^(#{1,6})[ \t\u3000]+(.*?)(?:[ \t]+#+)?[ \t]*$/u;

/**
 * A line as written and the same line tidied. Tidying changes no character
 * these rules look at (#, white space) and moves nothing, so both split the
 * same way and the texts are taken from the tidied line.
 */
function classify(written: string, tidied: string, line: number): Line {
  if (written.trim() === '') return { kind: 'blank', level: 0, text: '', written: '', line };
  // Only a line starting with # can be a heading: skip the regex for the rest.
  const heading = tidied.charCodeAt(0) === 0x23 ? HEADING.exec(tidied) : null;
  if (heading) {
    const level = heading[1]!.length;
    const text = heading[2]!.trim();
    return { kind: level <= 2 ? 'headline' : 'subheading', level: level <= 2 ? level : 0, text, written: text, line };
  }
  return { kind: 'text', level: 0, text: tidied.trim(), written: written.trim(), line };
}

const LATIN = /[A-Za-z]/;

/** Joins text split across lines or pages: no space in CJK text, a space between Latin words. */
function joinText(a: string, b: string): string {
  const last = a.at(-1) ?? '';
  const first = b[0] ?? '';
  return LATIN.test(last) && LATIN.test(first) ? `${a} ${b}` : a + b;
}

/**
 * Paragraphs are separated by blank lines, or one per line when the body has
 * no blank lines between its text lines (sample 003).
 */
function toBlocks(lines: Line[], tidy: (text: string) => string): Block[] {
  const blocks: Block[] = [];
  let firstText = -1;
  let lastText = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.kind === 'blank') continue;
    if (firstText === -1) firstText = i;
    lastText = i;
  }
  if (firstText === -1) return blocks;
  let blankSeparated = false;
  for (let i = firstText; i <= lastText; i++) if (lines[i]!.kind === 'blank') blankSeparated = true;

  let open: Block | null = null;
  for (const l of lines) {
    if (l.kind === 'blank') {
      open = null;
    } else if (l.kind === 'subheading') {
      blocks.push({ kind: 'subheading', text: l.text, written: l.written, line: l.line, endLine: l.line });
      open = null;
    } else if (l.kind === 'text') {
      if (open && blankSeparated) {
        open.written = joinText(open.written, l.written);
        open.endLine = l.line;
      } else {
        open = { kind: 'text', text: l.text, written: l.written, line: l.line, endLine: l.line };
        blocks.push(open);
      }
    }
  }
  // Lines joined with no space between make new neighbours: tidy the joined text.
  for (const b of blocks) if (b.endLine !== b.line) b.text = tidy(b.written);
  return blocks;
}

/** Decided on the line as written. */
function isKicker(block: Block): boolean {
  return (
    block.kind === 'text' &&
    block.line === block.endLine &&
    lengthAtMost(block.written, KICKER_MAX) &&
    !endsSentence(block.written) &&
    matchEditorCredit(block.written) === null &&
    matchByline(block.written) === null
  );
}

function isSectionHeading(block: Block, prev: Block | undefined, next: Block | undefined): boolean {
  if (block.kind === 'subheading') return true;
  return (
    next !== undefined &&
    next.kind === 'text' &&
    lengthAtMost(block.text, HEADING_MAX) &&
    !SENTENCE_PUNCTUATION.test(block.text) &&
    !/^[(\uFF08\[【]/u.test(block.text) &&
    !lengthAtMost(next.text, length(block.text)) &&
    // A short line after a paragraph cut mid-sentence is the rest of that sentence.
    (prev === undefined || prev.kind === 'subheading' || endsSentence(prev.text))
  );
}

/**
 * The report function of one parse. Made here, not as a named closure in
 * parseSource: the bundle (esbuild's keepNames) names every named closure
 * with a defineProperty call, which would be paid for every source.
 */
function reporter(diagnostics: Diagnostic[], source: string): Report {
  return (line, severity, code, message) => {
    diagnostics.push({ source, line, severity, code, message });
  };
}

export function parseSource(text: string, options: ParseOptions): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const report = reporter(diagnostics, options.source);

  const cleaned = cleanText(text, options.clean === true);
  for (const r of cleaned.removals) {
    report(r.line, 'warning', 'control-character', `removed ${r.count} control character(s) that XML cannot carry`);
  }

  // Front matter.
  let frontMatter: FrontMatter = {};
  let body = cleaned.text;
  let firstLine = 1;
  const fm = splitFrontMatter(cleaned.text);
  if (fm.kind === 'error') {
    report(fm.line, 'error', 'front-matter', `${fm.message}; file skipped`);
    return { articles: [], diagnostics };
  }
  if (fm.kind === 'ok') {
    frontMatter = fm.data;
    body = fm.body;
    firstLine = fm.bodyLine;
    for (const u of fm.unknownKeys) {
      report(u.line, 'warning', 'front-matter', `unknown front matter key "${u.key}" ignored`);
    }
  }
  let fmDate: string | null = null;
  if (frontMatter.date !== undefined) {
    const d = parseFrontMatterDate(frontMatter.date, options.timeZone);
    if (!d.ok) {
      report(2, 'error', 'front-matter', `front matter: date: ${d.reason}; file skipped`);
      return { articles: [], diagnostics };
    }
    fmDate = d.iso;
  }

  const groups = toGroups(body, firstLine, options.punctuation ? restoreFullWidthPunctuation : (s) => s, report);
  const articles: Article[] = [];
  for (const group of groups) {
    if (group.headline === null && group.blocks.length === 0) continue;
    const n = articles.length + 1;
    const id = frontMatter.id !== undefined ? (n === 1 ? frontMatter.id : `${frontMatter.id}#${n}`) : `${options.stem}#${n}`;
    articles.push(
      buildArticle(group, {
        id,
        options,
        report,
        frontMatter: n === 1 ? frontMatter : { tags: frontMatter.tags, lang: frontMatter.lang },
        fmDate,
      }),
    );
  }
  if (articles.length === 0) {
    report(firstLine, 'error', 'empty', 'no article text found; file skipped');
  }
  // Stable: diagnostics of one line keep the order they were found in.
  diagnostics.sort((a, b) => a.line - b.line);
  return { articles, diagnostics };
}

/** The body's lines grouped into articles: a headline, its blocks, its kicker. */
function toGroups(body: string, firstLine: number, tidy: (text: string) => string, report: Report): Group[] {
  // Punctuation is restored over the whole body at once. That is the same as
  // line by line (a line end is neither CJK nor an ASCII mark), and the
  // articles then share one tidied string instead of a copy per paragraph.
  const tidiedBody = tidy(body);
  const writtenLines = body.split('\n');
  const tidiedLines = tidiedBody === body ? writtenLines : tidiedBody.split('\n');

  // Group lines by headline; consecutive headline lines with nothing between are one headline.
  const groups: Array<{ headline: Headline | null; lines: Line[] }> = [{ headline: null, lines: [] }];
  for (let i = 0; i < writtenLines.length; i++) {
    const l = classify(writtenLines[i]!, tidiedLines[i]!, firstLine + i);
    const current = groups[groups.length - 1]!;
    if (l.kind === 'headline') {
      const continues =
        current.headline !== null &&
        current.headline.level === l.level &&
        current.lines.every((x) => x.kind === 'blank');
      if (continues && current.headline) {
        current.headline.text = `${current.headline.text} ${l.text}`.trim();
        report(l.line, 'info', 'headline', 'headline continues on this line; joined');
      } else {
        groups.push({ headline: { text: l.text, line: l.line, level: l.level }, lines: [] });
      }
    } else {
      current.lines.push(l);
    }
  }

  const parsed: Group[] = groups.map((g) => ({ headline: g.headline, blocks: toBlocks(g.lines, tidy), kicker: null }));

  // A short line right before a headline is its kicker, unless it is all the
  // previous article has.
  for (let i = 1; i < parsed.length; i++) {
    const prev = parsed[i - 1]!;
    const last = prev.blocks.at(-1);
    if (last && isKicker(last) && (prev.headline === null || prev.blocks.length > 1)) {
      parsed[i]!.kicker = prev.blocks.pop()!;
    }
  }
  return parsed;
}

interface BuildContext {
  id: string;
  options: ParseOptions;
  report: Report;
  frontMatter: FrontMatter;
  fmDate: string | null;
}

function buildArticle(group: Group, ctx: BuildContext): Article {
  const { options, report, frontMatter } = ctx;
  // Copies: the steps below shorten the texts of the first and last blocks.
  const blocks = group.blocks.map(copyBlock);
  const startLine = group.kicker?.line ?? group.headline?.line ?? blocks[0]?.line ?? 1;
  const articleLine = group.headline?.line ?? blocks[0]?.line ?? startLine;

  const subtitle = group.headline ? takeSubtitle(blocks) : null;
  const credit = takeEditorCredit(blocks);
  const lead = takeByline(blocks);
  const { paragraphs, sections } = toSections(blocks, report);
  const allText = paragraphs.slice();
  for (const s of sections) for (const p of s.paragraphs) allText.push(p);

  // Title: front matter, headline, or cut from the first sentence.
  let title = frontMatter.title ?? group.headline?.text ?? '';
  let titleDerived = false;
  if (title === '') {
    titleDerived = true;
    title = cutAtClause(stripFinalMark(firstSentence(allText[0] ?? '')), DERIVED_TITLE_MAX) || '(无标题)';
    report(articleLine, 'info', 'derived-title', `no headline; title derived from the first sentence: "${title}"`);
  }
  if (allText.length === 0) report(articleLine, 'warning', 'no-body', 'article has no body text');

  // Dateline and date.
  const dateline = lead?.leadDate ?? (paragraphs[0] !== undefined ? (matchDateline(paragraphs[0])?.text ?? null) : null);
  const date = resolveDate(ctx, articleLine, {
    dateline,
    sectionLedes: sections.map((s) => s.paragraphs[0] ?? ''),
  });

  const byline = lead?.byline ?? null;
  const reporters = byline?.reporters ?? [];
  return {
    id: ctx.id,
    source: options.source,
    line: articleLine,
    kicker: group.kicker?.text ?? null,
    title,
    titleDerived,
    subtitle,
    byline,
    dateline,
    date: date.iso,
    dateSource: date.source,
    editor: credit?.editor ?? null,
    editorCredit: credit?.credit ?? null,
    author: frontMatter.author ?? (reporters.length > 0 ? reporters.join('、') : null),
    tags: frontMatter.tags ?? [],
    summary: frontMatter.summary ?? summarise(allText),
    link: frontMatter.link ?? null,
    lang: frontMatter.lang ?? null,
    paragraphs,
    sections,
  };
}

function copyBlock(b: Block): Block {
  return { kind: b.kind, text: b.text, written: b.written, line: b.line, endLine: b.endLine };
}

const SUBTITLE_DASHES = /^(?:——|—|--)/u;

/** 副题: a line right after the headline that starts with ——. */
function takeSubtitle(blocks: Block[]): string | null {
  const first = blocks[0];
  if (first?.kind !== 'text' || !SUBTITLE_DASHES.test(first.text) || !lengthAtMost(first.text, SUBTITLE_MAX)) return null;
  const subtitle = first.text.replace(/^(?:——|—|--)\s*/u, '').trim();
  if (subtitle === '') return null;
  blocks.shift();
  return subtitle;
}

/** The editor credit closing the article. */
function takeEditorCredit(blocks: Block[]): CreditMatch | null {
  const last = blocks.at(-1);
  if (last?.kind !== 'text') return null;
  const credit = matchEditorCredit(last.text);
  if (!credit) return null;
  if (credit.before === '') blocks.pop();
  else last.text = credit.before;
  return credit;
}

/** The byline at the start of the lede (the first block, when it is text). */
function takeByline(blocks: Block[]): BylineMatch | null {
  const lede = blocks[0];
  if (lede?.kind !== 'text') return null;
  const m = matchByline(lede.text);
  if (!m) return null;
  if (m.rest === '') blocks.shift();
  else lede.text = m.rest;
  return m;
}

/** Sections, then page-break repair inside each container. */
function toSections(blocks: Block[], report: Report): { paragraphs: string[]; sections: Section[] } {
  const loose: Block[] = [];
  const found: Array<{ heading: string; line: number; blocks: Block[] }> = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (isSectionHeading(b, blocks[i - 1], blocks[i + 1])) {
      found.push({ heading: b.text, line: b.line, blocks: [] });
    } else {
      (found.at(-1)?.blocks ?? loose).push(b);
    }
  }
  const paragraphs = repairPageBreaks(loose, report);
  const sections = found.map((s): Section => {
    if (s.blocks.length === 0) report(s.line, 'warning', 'section', `section "${s.heading}" has no text`);
    return { heading: s.heading, paragraphs: repairPageBreaks(s.blocks, report) };
  });
  return { paragraphs, sections };
}

/** Joins each paragraph that does not end a sentence with the next one. */
function repairPageBreaks(container: Block[], report: Report): string[] {
  const out: string[] = [];
  // Where the paragraph last put out ends (a joined paragraph ends where its last part does).
  let endLine = 0;
  for (const b of container) {
    if (out.length > 0 && !endsSentence(out[out.length - 1]!)) {
      report(endLine, 'info', 'page-break', 'joined a paragraph split by the page layout');
      out[out.length - 1] = joinText(out[out.length - 1]!, b.text);
    } else {
      out.push(b.text);
    }
    endLine = b.endLine;
  }
  return out;
}

/** The date a phrase (a lede, a dateline) opens with, if it names a day. */
function datePhrase(
  phrase: string | null,
  seen: SiteMoment | null,
  ctx: BuildContext,
  line: number,
): { iso: string; yearInferred: boolean; text: string } | null {
  const d = phrase === null ? null : matchDateline(phrase);
  if (!d?.day) return null;
  const r = resolveDateline(d.day, seen, ctx.options.timeZone);
  if (!r.ok) {
    ctx.report(line, 'warning', 'date', `dateline ${d.text} ${r.reason}; ignored`);
    return null;
  }
  return { iso: r.iso, yearInferred: r.yearInferred, text: d.text };
}

function resolveDate(
  ctx: BuildContext,
  line: number,
  found: { dateline: string | null; sectionLedes: string[] },
): { iso: string; source: Article['dateSource'] } {
  const { options, report } = ctx;
  if (ctx.fmDate !== null) return { iso: ctx.fmDate, source: 'front-matter' };
  const seen = siteMoment(options.firstSeen, options.timeZone);

  let resolved = datePhrase(found.dateline, seen, ctx, line);
  // A roundup has no dateline of its own; it is as new as its newest item (the first of equals).
  if (!resolved) {
    for (const lede of found.sectionLedes) {
      const d = datePhrase(lede, seen, ctx, line);
      if (d !== null && (resolved === null || d.iso > resolved.iso)) resolved = d;
    }
  }
  if (resolved) {
    if (resolved.yearInferred) {
      report(
        line,
        'warning',
        'date-year',
        `the year of ${resolved.text} was inferred as ${resolved.iso.slice(0, 4)} (the latest not after the source was first seen); give a date in front matter to be sure`,
      );
    }
    return { iso: resolved.iso, source: 'dateline' };
  }
  report(line, 'info', 'date', 'no dateline; dated by when the source was first seen');
  return { iso: seen?.iso ?? options.firstSeen, source: 'first-seen' };
}

/**
 * The first sentences, up to about SUMMARY_MAX characters, cut at a sentence
 * end. Sentences are read only as far as the summary reaches.
 */
export function summarise(paragraphs: string[]): string {
  let summary: string | null = null;
  for (const paragraph of paragraphs) {
    for (let start = 0; start < paragraph.length; ) {
      const end = sentenceEnd(paragraph, start);
      const sentence = paragraph.slice(start, end).trim();
      start = end;
      if (sentence === '') continue;
      if (summary === null) {
        if (!lengthAtMost(sentence, SUMMARY_MAX)) return cutAtClause(sentence, SUMMARY_MAX);
        summary = sentence;
      } else {
        if (!lengthAtMost(sentence, SUMMARY_MAX - length(summary))) return summary;
        summary = joinText(summary, sentence);
      }
    }
  }
  return summary ?? '';
}
