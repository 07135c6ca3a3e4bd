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
import { matchByline, matchEditorCredit } from './byline.ts';
import { matchDateline, parseFrontMatterDate, resolveDateline, siteMoment } from './dateline.ts';

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

type Line =
  | { kind: 'blank'; line: number }
  | { kind: 'headline'; level: 1 | 2; text: string; line: number }
  | { kind: 'subheading'; text: string; line: number }
  | { kind: 'text'; text: string; line: number };

interface Block {
  kind: 'text' | 'subheading';
  text: string;
  line: number;
  endLine: number;
}

interface Group {
  headline: { text: string; line: number; level: 1 | 2 } | null;
  blocks: Block[];
  kicker: Block | null;
}

function classify(raw: string, line: number): Line {
  if (raw.trim() === '') return { kind: 'blank', line };
  const heading = /^(#{1,6})[ \t\u3000]+(.*?)(?:[ \t]+#+)?[ \t]*$/u.exec(raw);
  if (heading) {
    const level = heading[1]!.length;
    const text = heading[2]!.trim();
    if (level <= 2) return { kind: 'headline', level: level as 1 | 2, text, line };
    return { kind: 'subheading', text, line };
  }
  return { kind: 'text', text: raw.trim(), line };
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
function toBlocks(lines: Line[]): Block[] {
  const textLines = lines.filter((l) => l.kind !== 'blank');
  const firstText = lines.indexOf(textLines[0]!);
  const lastText = lines.lastIndexOf(textLines.at(-1)!);
  const blankSeparated = lines.slice(firstText, lastText + 1).some((l) => l.kind === 'blank');
  const blocks: Block[] = [];
  let open: Block | null = null;
  for (const l of lines) {
    if (l.kind === 'blank') {
      open = null;
    } else if (l.kind === 'subheading') {
      blocks.push({ kind: 'subheading', text: l.text, line: l.line, endLine: l.line });
      open = null;
    } else if (l.kind === 'text') {
      if (open && blankSeparated) {
        open.text = joinText(open.text, l.text);
        open.endLine = l.line;
      } else {
        open = { kind: 'text', text: l.text, line: l.line, endLine: l.line };
        blocks.push(open);
      }
    }
  }
  return blocks;
}

function isKicker(block: Block): boolean {
  return (
    block.kind === 'text' &&
    block.line === block.endLine &&
    lengthAtMost(block.text, KICKER_MAX) &&
    !endsSentence(block.text) &&
    matchEditorCredit(block.text) === null &&
    matchByline(block.text) === null
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

export function parseSource(text: string, options: ParseOptions): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const report = (line: number, severity: Severity, code: string, message: string) =>
    diagnostics.push({ source: options.source, line, severity, code, message });

  const cleaned = cleanText(text);
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

  const tidy = options.punctuation ? restoreFullWidthPunctuation : (s: string) => s;
  const lines = body.split('\n').map((raw, i) => classify(raw, firstLine + i));

  // Group lines by headline; consecutive headline lines with nothing between are one headline.
  const groups: Array<{ headline: Group['headline']; lines: Line[] }> = [{ headline: null, lines: [] }];
  for (const l of lines) {
    const current = groups.at(-1)!;
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

  const parsed: Group[] = groups.map((g) => ({
    headline: g.headline,
    blocks: g.lines.some((l) => l.kind !== 'blank') ? toBlocks(g.lines) : [],
    kicker: null,
  }));

  // A short line right before a headline is its kicker, unless it is all the
  // previous article has.
  for (let i = 1; i < parsed.length; i++) {
    const prev = parsed[i - 1]!;
    const last = prev.blocks.at(-1);
    if (last && isKicker(last) && (prev.headline === null || prev.blocks.length > 1)) {
      parsed[i]!.kicker = prev.blocks.pop()!;
    }
  }

  const articles: Article[] = [];
  for (const group of parsed) {
    if (group.headline === null && group.blocks.length === 0) continue;
    const n = articles.length + 1;
    const id = frontMatter.id !== undefined ? (n === 1 ? frontMatter.id : `${frontMatter.id}#${n}`) : `${options.stem}#${n}`;
    articles.push(
      buildArticle(group, {
        id,
        options,
        tidy,
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

interface BuildContext {
  id: string;
  options: ParseOptions;
  tidy: (s: string) => string;
  report: (line: number, severity: Severity, code: string, message: string) => void;
  frontMatter: FrontMatter;
  fmDate: string | null;
}

function buildArticle(group: Group, ctx: BuildContext): Article {
  const { options, tidy, report, frontMatter } = ctx;
  const blocks = group.blocks.map((b) => ({ ...b, text: tidy(b.text) }));
  const startLine = group.kicker?.line ?? group.headline?.line ?? blocks[0]?.line ?? 1;
  const articleLine = group.headline?.line ?? blocks[0]?.line ?? startLine;

  // 副题: a line right after the headline that starts with ——.
  let subtitle: string | null = null;
  const first = blocks[0];
  if (group.headline && first?.kind === 'text' && /^(?:——|—|--)/u.test(first.text) && lengthAtMost(first.text, SUBTITLE_MAX)) {
    subtitle = first.text.replace(/^(?:——|—|--)\s*/u, '').trim() || null;
    if (subtitle !== null) blocks.shift();
  }

  // Editor credit closing the article.
  let editor: string | null = null;
  let editorCredit: string | null = null;
  const last = blocks.at(-1);
  if (last?.kind === 'text') {
    const credit = matchEditorCredit(last.text);
    if (credit) {
      editor = credit.editor;
      editorCredit = credit.credit;
      if (credit.before === '') blocks.pop();
      else last.text = credit.before;
    }
  }

  // Byline at the start of the lede.
  let byline: Article['byline'] = null;
  let leadDate: string | null = null;
  const lede = blocks.find((b) => b.kind === 'text');
  if (lede && lede === blocks[0]) {
    const m = matchByline(lede.text);
    if (m) {
      byline = m.byline;
      leadDate = m.leadDate;
      if (m.rest === '') blocks.shift();
      else lede.text = m.rest;
    }
  }

  // Sections, then page-break repair inside each container.
  const paragraphs: Block[] = [];
  const sections: Array<{ heading: string; line: number; paragraphs: Block[] }> = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (isSectionHeading(b, blocks[i - 1], blocks[i + 1])) {
      sections.push({ heading: b.text, line: b.line, paragraphs: [] });
    } else {
      (sections.at(-1)?.paragraphs ?? paragraphs).push(b);
    }
  }
  const repair = (container: Block[]): string[] => {
    const out: Block[] = [];
    for (const b of container) {
      const prev = out.at(-1);
      if (prev && !endsSentence(prev.text)) {
        report(prev.endLine, 'info', 'page-break', 'joined a paragraph split by the page layout');
        out[out.length - 1] = { ...prev, text: joinText(prev.text, b.text), endLine: b.endLine };
      } else {
        out.push({ ...b });
      }
    }
    return out.map((b) => b.text);
  };
  const bodyParagraphs = repair(paragraphs);
  const bodySections: Section[] = sections.map((s) => {
    if (s.paragraphs.length === 0) report(s.line, 'warning', 'section', `section "${s.heading}" has no text`);
    return { heading: s.heading, paragraphs: repair(s.paragraphs) };
  });
  const allText = [...bodyParagraphs, ...bodySections.flatMap((s) => s.paragraphs)];

  // Title: front matter, headline, or cut from the first sentence.
  const headline = group.headline ? tidy(group.headline.text) : '';
  let title = frontMatter.title ?? headline;
  let titleDerived = false;
  if (title === '') {
    titleDerived = true;
    title = cutAtClause(stripFinalMark(firstSentence(allText[0] ?? '')), DERIVED_TITLE_MAX) || '(无标题)';
    report(articleLine, 'info', 'derived-title', `no headline; title derived from the first sentence: "${title}"`);
  }
  if (allText.length === 0) report(articleLine, 'warning', 'no-body', 'article has no body text');

  // Dateline and date.
  const dateline = leadDate ?? (bodyParagraphs[0] !== undefined ? (matchDateline(bodyParagraphs[0])?.text ?? null) : null);
  const date = resolveDate(ctx, articleLine, {
    dateline,
    sectionLedes: bodySections.map((s) => s.paragraphs[0] ?? ''),
  });

  const reporters = byline?.reporters ?? [];
  return {
    id: ctx.id,
    source: options.source,
    line: articleLine,
    kicker: group.kicker ? tidy(group.kicker.text) : null,
    title,
    titleDerived,
    subtitle,
    byline,
    dateline,
    date: date.iso,
    dateSource: date.source,
    editor,
    editorCredit,
    author: frontMatter.author ?? (reporters.length > 0 ? reporters.join('、') : null),
    tags: frontMatter.tags ?? [],
    summary: frontMatter.summary ?? summarise(allText),
    link: frontMatter.link ?? null,
    lang: frontMatter.lang ?? null,
    paragraphs: bodyParagraphs,
    sections: bodySections,
  };
}

function resolveDate(
  ctx: BuildContext,
  line: number,
  found: { dateline: string | null; sectionLedes: string[] },
): { iso: string; source: Article['dateSource'] } {
  const { options, report } = ctx;
  if (ctx.fmDate !== null) return { iso: ctx.fmDate, source: 'front-matter' };
  const seen = siteMoment(options.firstSeen, options.timeZone);

  const fromPhrase = (phrase: string | null) => {
    const d = phrase === null ? null : matchDateline(phrase);
    if (!d?.day) return null;
    const r = resolveDateline(d.day, seen, options.timeZone);
    if (!r.ok) {
      report(line, 'warning', 'date', `dateline ${d.text} ${r.reason}; ignored`);
      return null;
    }
    return { iso: r.iso, yearInferred: r.yearInferred, text: d.text };
  };

  let resolved = fromPhrase(found.dateline);
  // A roundup has no dateline of its own; it is as new as its newest item.
  if (!resolved && found.sectionLedes.length > 0) {
    const dated = found.sectionLedes.map(fromPhrase).filter((d) => d !== null);
    resolved = dated.reduce<(typeof dated)[number] | null>((a, b) => (a === null || b.iso > a.iso ? b : a), null);
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
