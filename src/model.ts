// The shared model: plain types that every stage of the pipeline passes along.
// parse produces Articles; feed, digest and send consume them.

export type Severity = 'error' | 'warning' | 'info';

/** A message about a source, with the place it concerns (vfile-message style). */
export interface Diagnostic {
  /** The source path as the user sees it, e.g. `articles/000.txt`. */
  source: string;
  /** 1-based line in the source file. */
  line: number;
  severity: Severity;
  /** A stable rule id, e.g. `page-break`, `encoding`, `front-matter`. */
  code: string;
  message: string;
}

/** 本报讯(山西日报记者 陈俊琦) → outlet 山西日报, reporters [陈俊琦]. */
export interface Byline {
  /** The named outlet (山西日报); null for 本报 or when none is named. */
  outlet: string | null;
  /** Reporters (记者). */
  reporters: string[];
  /** Contributors (通讯员). */
  contributors: string[];
  /** The byline as printed, e.g. `本报讯(山西日报记者 陈俊琦)`. */
  text: string;
}

/** A titled part of a roundup (小店区, 尖草坪区 …) or a subheaded report. */
export interface Section {
  heading: string;
  paragraphs: string[];
}

/** Where an article's date came from, strongest first. */
export type DateSource = 'front-matter' | 'dateline' | 'first-seen';

export interface Article {
  /** Stable for ever: front matter `id`, else `<file stem>#<n>`. */
  id: string;
  /** The source path as the user sees it. */
  source: string;
  /** 1-based line where the article starts in its source. */
  line: number;
  /** 引题: the short line above the headline. */
  kicker: string | null;
  title: string;
  /** True when the source had no headline and the title was cut from the first sentence. */
  titleDerived: boolean;
  /** 副题: the line after the headline that starts with ——, without the dashes. */
  subtitle: string | null;
  byline: Byline | null;
  /** The date phrase that opens the lede, e.g. `3月29日至31日`, `近日`. */
  dateline: string | null;
  /** RFC 3339 with the site's offset, e.g. `2026-03-31T00:00:00+08:00`. */
  date: string;
  dateSource: DateSource;
  /** The editor's name from the credit line. */
  editor: string | null;
  /** The credit line as printed, e.g. `(以上由李杰华编辑整理)`. */
  editorCredit: string | null;
  /** Front matter `author`, else the reporters joined with 、, else null. */
  author: string | null;
  tags: string[];
  /** Front matter `summary`, else the first sentences up to ~120 characters. */
  summary: string;
  /** Front matter `link`: the article's canonical URL elsewhere, if any. */
  link: string | null;
  /** Front matter `lang`; null means the site's language. */
  lang: string | null;
  /** Body paragraphs outside any section, in order. */
  paragraphs: string[];
  /** Sections in order (a roundup keeps its places here). */
  sections: Section[];
}
