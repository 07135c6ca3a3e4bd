// The normalise-and-check layer in front of the `feed` package.
//
// `feed` (through xml-js) splits only the first `]]>` of a CDATA section,
// leaves `<` raw in attribute values, turns a literal `&amp;` in text into
// `&`, and writes dates in UTC (`GMT`, `Z`). So before a string reaches it,
// the three characters that go wrong are swapped for Unicode noncharacters
// (U+FDD0–U+FDD2, reserved for exactly this kind of internal use and removed
// from the input first); after it has written the XML, each is put back in
// the form its context needs: escaped outside CDATA, raw (or a split CDATA
// section for `]]>`) inside. Dates are rewritten with the site's offset. The
// result is then checked with an independent XML parser.
import { XMLValidator } from 'fast-xml-parser';

const AMP = '\uFDD0';
const LT = '\uFDD1';
const CDATA_END = '\uFDD2';
const MARKERS = /[\uFDD0-\uFDD2]/g;

export class FeedSerializationError extends Error {
  override name = 'FeedSerializationError';
}

/**
 * Makes a text value safe to hand to `feed`. (Characters XML cannot carry
 * were removed where the text came in: the parser, the config.)
 */
export function guardText(value: string): string {
  return value
    .replace(MARKERS, '')
    .replace(/]]>/g, CDATA_END)
    .replace(/&/g, AMP)
    .replace(/</g, LT);
}


const CDATA = /<!\[CDATA\[[\s\S]*?\]\]>/g;

/** Applies fn to the parts of an XML document outside CDATA sections, and inner to the CDATA contents. */
function mapByContext(xml: string, outer: (s: string) => string, inner: (s: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of xml.matchAll(CDATA)) {
    out += outer(xml.slice(last, m.index));
    out += `<![CDATA[${inner(m[0].slice(9, -3))}]]>`;
    last = m.index + m[0].length;
  }
  return out + outer(xml.slice(last));
}

/**
 * Restores the guarded characters, applies `rewrite` to the markup outside
 * CDATA (dates, attribute fixes), and checks the result is well-formed XML.
 */
export function finishXml(xml: string, rewrite: (markup: string) => string, what: string): string {
  const done = mapByContext(
    xml,
    (s) => rewrite(s).replaceAll(AMP, '&amp;').replaceAll(LT, '&lt;').replaceAll(CDATA_END, ']]&gt;'),
    (s) => s.replaceAll(AMP, '&').replaceAll(LT, '<').replaceAll(CDATA_END, ']]]]><![CDATA[>'),
  );
  const check = XMLValidator.validate(done);
  if (check !== true) {
    throw new FeedSerializationError(
      `${what}: the generated XML is not well-formed (line ${check.err.line}: ${check.err.msg}); this is a bug in broadsheet`,
    );
  }
  return done;
}
