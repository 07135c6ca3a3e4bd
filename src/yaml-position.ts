// Maps a path inside a parsed YAML document (as zod reports it) to the 1-based
// line where that value sits, so that config and front-matter errors can say
// `file:line: field: problem`.
import { type Document, LineCounter, isNode } from 'yaml';

export function lineOfPath(doc: Document, counter: LineCounter, path: ReadonlyArray<PropertyKey>): number | null {
  // Walk up the path until a node exists (a missing key is reported at its parent).
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = depth === 0 ? doc.contents : doc.getIn(keys, true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return null;
}

export { LineCounter };

/** The first line of a yaml error, without its own `at line N, column M` (we give the file's line). */
export function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
