// The rendering path every email takes: Liquid over MJML, MJML to HTML, and
// a plain-text part from its own template over the same data. Done once per
// edition (or once per process for confirmations); each subscriber's copy is
// then a join of strings (personalise).
import type { TemplateEngine } from '../templates/engine.ts';
import { escapeHtml } from '../text/html.ts';
import { type PlaceholderKey, asText, compileFill, placeholders } from './placeholders.ts';

export interface RenderedMail {
  /** The random token inside this rendering's placeholders. */
  nonce: string;
  html: string;
  text: string;
}

/** MJML source → HTML (mail/mjml.ts); passed in, so callers that render stay free of MJML's import-time side effects. */
export type MjmlRenderer = (mjml: string, where: string) => Promise<string>;

export interface MailTemplates {
  /** An MJML+Liquid template, e.g. `digest.mjml`. */
  mjml: string;
  /** A plain-text Liquid template, e.g. `digest.txt`. */
  text: string;
}

/** Renders both parts with `subscriber.*` as placeholders. */
export async function renderMail(
  engine: TemplateEngine,
  mjml: MjmlRenderer,
  templates: MailTemplates,
  data: Record<string, unknown>,
  nonce: string,
  templatesDir = 'templates',
): Promise<RenderedMail> {
  const view = { ...data, subscriber: placeholders(nonce) };
  const html = await mjml(engine.render(templates.mjml, view), `${templatesDir}/${templates.mjml} (rendered)`);
  const text = engine.render(templates.text, view);
  return { nonce, html, text: tidyText(text) };
}

/** Blank runs left by template tags collapse to one blank line; lines lose trailing spaces. */
export function tidyText(text: string): string {
  return (
    text
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}

export type Personalise = (values: Partial<Record<PlaceholderKey, string>>) => { html: string; text: string };

/**
 * Prepares a rendering for per-subscriber filling: split once, joined per
 * subscriber. Placeholders stand in HTML text or quoted attribute values,
 * and one escaping is right for both.
 */
export function personaliser(mail: RenderedMail): Personalise {
  const html = compileFill(mail.html, mail.nonce, escapeHtml);
  const text = compileFill(mail.text, mail.nonce, asText);
  return (values) => ({ html: html(values), text: text(values) });
}
