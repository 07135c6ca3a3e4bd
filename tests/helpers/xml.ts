import { XMLParser } from 'fast-xml-parser';

/** Parses feeds for structural comparison: attributes as @name, repeated elements as arrays. */
export const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name, jpath) =>
    ['item', 'entry', 'category', 'dc:creator', 'author'].includes(name) || (name === 'link' && String(jpath).startsWith('feed.')),
});
