// For any text: the parser never throws, loses no Han character and
// duplicates no sentence.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/model.ts';
import { parse } from '../helpers/parse.ts';

const HAN = /\p{Script=Han}/u;

function hanOf(text: string): string {
  return Array.from(text).filter((c) => HAN.test(c)).join('');
}

/** The article's text fields in reading order; copies (summary, dateline, derived title) left out. */
function textFields(a: Article): string[] {
  return [
    a.kicker ?? '',
    a.titleDerived ? '' : a.title,
    a.subtitle ?? '',
    a.byline?.text ?? '',
    ...a.paragraphs,
    ...a.sections.flatMap((s) => [s.heading, ...s.paragraphs]),
    a.editorCredit ?? '',
  ];
}

// Written independently of src/text/sanitize.ts on purpose.
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function normalise(text: string): string {
  return text.replace(ILLEGAL, '').normalize('NFKC').replace(/\s+/gu, '');
}

function occurrences(haystack: string, needle: string): number {
  return needle === '' ? 0 : haystack.split(needle).length - 1;
}

function sentencesOf(text: string): string[] {
  return text.split(/(?<=[。!?])/u).filter((s) => s !== '');
}

const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('省委书记调研', '小店区', '会议举行', '晋城', '蓝佛安来', '到沁河之畔', '𠀀字', 'Latin words', '1,000', 'B-2682') },
  { weight: 5, arbitrary: fc.constantFrom('。', ',', ',', '、', '!', '?', '“', '”', '(', ')', '(', ')', ':', '…', ';') },
  { weight: 3, arbitrary: fc.constantFrom('\n', '\n\n', '\r\n', '\r', ' ', '\t', '\u3000') },
  { weight: 2, arbitrary: fc.constantFrom('# ', '## ', '### ', '——', '--', '#', '---', '本报讯(记者 张三 通讯员 李四)', '本报讯(山西日报记者 陈俊琦)') },
  { weight: 2, arbitrary: fc.constantFrom('3月29日至31日', '12月30日', '2月30日', '近日', '(以上由李杰华编辑整理)', '(责任编辑:王芳)', '(完)') },
  { weight: 1, arbitrary: fc.constantFrom('<script>', '&', ']]>', '\u0000', '\u0001', '\uFFFE', '\uD800', '\uDC00', '\uFEFF') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6, unit: 'grapheme' }) },
);
const sourceText = fc
  .array(piece, { maxLength: 80 })
  .map((parts) => parts.join(''))
  // Front matter overrides text on purpose (and a broken one rejects the
  // file): leave out sources that start with it once cleaned up.
  .filter((t) => !t.replace(ILLEGAL, '').replace(/^\uFEFF/, '').startsWith('---'));

describe('parser properties', () => {
  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), sourceText), (text) => {
        const result = parse(text);
        expect(Array.isArray(result.articles)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps every Han character of the source, in order, exactly once in the text fields', () => {
    fc.assert(
      fc.property(sourceText, (text) => {
        const { articles, diagnostics } = parse(text);
        if (diagnostics.some((d) => d.severity === 'error')) {
          expect(hanOf(text.replace(ILLEGAL, ''))).toBe('');
          return;
        }
        expect(hanOf(articles.flatMap(textFields).join(''))).toBe(hanOf(text.replace(ILLEGAL, '')));
      }),
      { numRuns: 1000 },
    );
  });

  it('never repeats a sentence in an article body more often than the source has it', () => {
    fc.assert(
      fc.property(sourceText, (text) => {
        const source = normalise(text);
        for (const a of parse(text).articles) {
          const body = [...a.paragraphs, ...a.sections.flatMap((s) => s.paragraphs)].map(normalise);
          const counts = new Map<string, number>();
          for (const s of body.flatMap(sentencesOf)) counts.set(s, (counts.get(s) ?? 0) + 1);
          for (const [sentence, count] of counts) {
            expect(count, sentence).toBeLessThanOrEqual(occurrences(source, sentence));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
