// MJML → HTML. mjml owns its interface here; nothing else imports it.
import mjml2html from 'mjml';
import { MjmlError } from '../errors.ts';

interface MjmlValidationError {
  line: number;
  message: string;
  tagName: string;
}

const OPTIONS = {
  validationLevel: 'strict' as const,
  // No web fonts: the font stack finds a CJK face on every platform, and no
  // email should fetch anything to be readable.
  fonts: {},
  keepComments: false,
  minify: false,
  beautify: false,
};

/** Renders MJML to HTML under strict validation; `where` names the template in errors. */
export async function mjmlToHtml(mjml: string, where: string, lineOffset = 0): Promise<string> {
  try {
    const result = await mjml2html(mjml, OPTIONS);
    return result.html;
  } catch (err) {
    const errors = (err as { errors?: MjmlValidationError[] }).errors;
    if (errors && errors.length > 0) {
      throw new MjmlError(
        errors.map((e) => `${where}:${e.line - lineOffset}: error: <${e.tagName}> ${e.message} (MJML validator)`).join('\n'),
      );
    }
    throw new MjmlError(`${where}: error: ${(err as Error).message}`);
  }
}

/**
 * Checks an MJML+Liquid template before anything is rendered with it: Liquid
 * tags are blanked out with the line structure kept, so MJML's validator
 * reports the template file's own lines. A partial (no <mjml> root) is
 * checked inside a minimal document.
 */
export async function checkMjmlTemplate(source: string, where: string): Promise<void> {
  const skeleton = source
    .replace(/\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}/g, (m) => m.replace(/[^\n]/g, ''))
    .replace(/\{%[\s\S]*?%\}/g, (m) => m.replace(/[^\n]/g, ''))
    .replace(/\{\{[\s\S]*?\}\}/g, (m) => 'x' + m.replace(/[^\n]/g, ''));
  const root = /<(mj[a-z-]*)[\s>/]/.exec(skeleton)?.[1] ?? 'mj-text';
  if (root === 'mjml') {
    await mjmlToHtml(skeleton, where);
    return;
  }
  // A partial is checked where it can stand: its first tag decides the frame.
  const frames: Record<string, [string, string]> = {
    'mj-head': ['<mjml>', '<mj-body></mj-body></mjml>'],
    'mj-section': ['<mjml><mj-body>', '</mj-body></mjml>'],
    'mj-wrapper': ['<mjml><mj-body>', '</mj-body></mjml>'],
    'mj-hero': ['<mjml><mj-body>', '</mj-body></mjml>'],
    'mj-column': ['<mjml><mj-body><mj-section>', '</mj-section></mj-body></mjml>'],
    'mj-group': ['<mjml><mj-body><mj-section>', '</mj-section></mj-body></mjml>'],
  };
  const [open, close] = frames[root] ?? ['<mjml><mj-body><mj-section><mj-column>', '</mj-column></mj-section></mj-body></mjml>'];
  const wrapped = `${open}\n${skeleton}\n${close}`;
  await mjmlToHtml(wrapped, where, 1);
}
