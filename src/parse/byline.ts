// Bylines, datelines and editor credits: the fixed phrases of Chinese
// newspaper copy around the story itself.
import type { Byline } from '../model.ts';

/**
 * 本报讯(山西日报记者 陈俊琦) · 本报太原3月29日电(记者 王强) · 新华社北京11月20日电(记者 …)
 * · 中国青年报讯(记者 …). The lead is what precedes the bracket; the bracket
 * holds the roles and names. A wire service's lead names it (新华社), and so
 * does an XX报讯/台讯/网讯 lead (中国青年报); 本报 ("this paper") names none.
 */
const BYLINE =
  /^(?<lead>本报讯|本报[^\s(\uFF08)]{0,12}电|(?<agency>[^\s(\uFF08)]{1,12}?社)[^\s(\uFF08)]{0,12}电|(?<paper>[^\s(\uFF08)]{2,12}(?:报|台|网))讯)\s*[(\uFF08](?<inner>[^()\uFF08\uFF09\n]{1,80})[)\uFF09]/u;

/** A byline on its own line: 本报记者 张三 李四 · 记者 赵明远 通讯员 孙丽 */
const BYLINE_LINE =
  /^(?:本报)?(?:特约记者|记者)[\s:\uFF1A]*[\p{Script=Han}·]{2,5}(?:[\s、,\uFF0C]+(?:(?:特约记者|记者|通讯员|实习生)[\s:\uFF1A]*)?[\p{Script=Han}·]{2,5})*$/u;

const ROLE = /^(?<prefix>.*?)(?<role>特约记者|记者|通讯员|实习生|摄影)(?<rest>.*)$/u;

export interface BylineMatch {
  byline: Byline;
  /** The text after the byline (the lede proper). */
  rest: string;
  /** A date phrase inside the lead (本报太原3月29日电), if any. */
  leadDate: string | null;
}

function parseRoles(inner: string): Omit<Byline, 'text'> {
  let outlet: string | null = null;
  const reporters: string[] = [];
  const contributors: string[] = [];
  let role: 'reporter' | 'contributor' = 'reporter';
  for (const token of inner.split(/[\s、,\uFF0C;\uFF1B:\uFF1A]+/u).filter(Boolean)) {
    const m = ROLE.exec(token);
    if (m?.groups) {
      const { prefix, role: word, rest } = m.groups as { prefix: string; role: string; rest: string };
      role = word === '通讯员' || word === '实习生' || word === '摄影' ? 'contributor' : 'reporter';
      if (prefix && prefix !== '本报' && outlet === null) outlet = prefix;
      if (rest) (role === 'reporter' ? reporters : contributors).push(rest);
    } else {
      (role === 'reporter' ? reporters : contributors).push(token);
    }
  }
  return { outlet, reporters, contributors };
}

const LEAD_DATE = /\d{1,2}月\d{1,2}日/u;

/** Finds a byline at the start of a lede paragraph. */
export function matchByline(paragraph: string): BylineMatch | null {
  const m = BYLINE.exec(paragraph);
  if (m?.groups) {
    const { lead, agency, paper, inner } = m.groups;
    const roles = parseRoles(inner!);
    // The outlet the bracket names (山西日报记者) comes first, then the lead's
    // (本报网讯 or XX本报讯 still means this paper).
    const named = agency ?? paper;
    const outlet = roles.outlet ?? (named === undefined || named.startsWith('本报') || named.endsWith('本报') ? null : named);
    return {
      byline: { outlet, reporters: roles.reporters, contributors: roles.contributors, text: m[0] },
      rest: paragraph.slice(m[0].length).trimStart(),
      leadDate: LEAD_DATE.exec(lead!)?.[0] ?? null,
    };
  }
  const line = paragraph.trim();
  if (line.length <= 40 && BYLINE_LINE.test(line)) {
    const roles = parseRoles(line);
    return { byline: { outlet: roles.outlet, reporters: roles.reporters, contributors: roles.contributors, text: line }, rest: '', leadDate: null };
  }
  return null;
}

/** (以上由李杰华编辑整理) · (责任编辑:王芳) · (编辑 王芳) */
const CREDIT =
  /[(\uFF08](?:以上由\s*(?<compiled>[^()\uFF08\uFF09]{1,20}?)\s*(?:编辑)?整理|(?:责任编辑|编辑|责编)[\s:\uFF1A]*(?<editor>[^()\uFF08\uFF09]{1,20}?))\s*[)\uFF09]$/u;

export interface CreditMatch {
  editor: string;
  credit: string;
  /** Text before the credit in the same paragraph (usually empty). */
  before: string;
}

/** Finds an editor credit closing a paragraph. */
export function matchEditorCredit(paragraph: string): CreditMatch | null {
  const trimmed = paragraph.trimEnd();
  // A credit ends with its closing bracket: skip the search through the paragraph otherwise.
  const last = trimmed.charCodeAt(trimmed.length - 1);
  if (last !== 0x29 && last !== 0xff09) return null;
  const m = CREDIT.exec(trimmed);
  if (!m?.groups) return null;
  const editor = (m.groups.compiled ?? m.groups.editor ?? '').trim();
  if (editor === '') return null;
  return { editor, credit: m[0], before: trimmed.slice(0, m.index).trimEnd() };
}
