import { parseSource, type ParseOptions } from '../../src/parse/parse.ts';

/** Parse options for tests: a fixed first-seen moment in Asia/Shanghai. */
export function parseOptions(overrides: Partial<ParseOptions> = {}): ParseOptions {
  return {
    source: 'articles/test.txt',
    stem: 'test',
    firstSeen: '2026-11-25T09:00:00+08:00',
    timeZone: 'Asia/Shanghai',
    punctuation: true,
    ...overrides,
  };
}

export function parse(text: string, overrides: Partial<ParseOptions> = {}) {
  return parseSource(text, parseOptions(overrides));
}
