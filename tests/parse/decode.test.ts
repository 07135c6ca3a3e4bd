// Encodings and bad files, on bytes the tests build.
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeSource } from '../../src/parse/decode.ts';
import { parseInput } from '../../src/parse/input.ts';
import { parseSource } from '../../src/parse/parse.ts';

const OPTIONS = { maxBytes: 2 * 1024 * 1024 };
const TEXT = '引题\r\n\r\n# 标题\r\n\r\n本报讯(记者 张三)3月29日,会议举行。\r\n';

function decode(bytes: Uint8Array, options = OPTIONS) {
  return decodeSource(bytes, 'articles/x.txt', options);
}

describe('encodings', () => {
  it('reads GB18030 with CRLF line ends', () => {
    const r = decode(iconv.encode(TEXT, 'gb18030'));
    expect(r).toMatchObject({ ok: true, encoding: 'gb18030' });
    if (r.ok) expect(r.text).toBe(TEXT.replace(/\r\n/g, '\n'));
  });

  it('reads GB18030 four-byte sequences (characters outside GBK)', () => {
    const text = '# 标题\n\n𠀀字与€符号。\n';
    const r = decode(iconv.encode(text, 'gb18030'));
    expect(r).toMatchObject({ ok: true, encoding: 'gb18030', text });
  });

  it('reads UTF-8 with a BOM and drops the BOM', () => {
    const r = decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# 标题\n', 'utf8')]));
    expect(r).toMatchObject({ ok: true, encoding: 'utf-8', text: '# 标题\n' });
  });

  it('reads UTF-16 LE and BE with a BOM', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    expect(decode(le)).toMatchObject({ ok: true, encoding: 'utf-16le', text: TEXT.replace(/\r\n/g, '\n') });
    expect(decode(be)).toMatchObject({ ok: true, encoding: 'utf-16be', text: TEXT.replace(/\r\n/g, '\n') });
  });

  it('normalises lone CR line ends', () => {
    expect(decode(Buffer.from('# 标题\r\r正文。\r'))).toMatchObject({ ok: true, text: '# 标题\n\n正文。\n' });
  });

  it('keeps mostly valid UTF-8 as UTF-8, replacing the broken bytes with a warning on their line', () => {
    const good = Buffer.from('# 标题\n\n' + '这是正常的中文内容。'.repeat(20) + '\n', 'utf8');
    const bytes = Buffer.concat([good, Buffer.from('坏字节:'), Buffer.from([0xe4, 0xb8]), Buffer.from('结束。\n')]);
    const r = decode(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.encoding).toBe('utf-8');
    expect(r.text).toContain('坏字节:\uFFFD结束。');
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ line: 4, severity: 'warning', code: 'encoding' }),
    ]);
  });
});

describe('files that are not article text', () => {
  it.each([
    ['empty', new Uint8Array(), 'empty'],
    ['white space only', Buffer.from(' \n\t\r\n'), 'empty'],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'binary'],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), 'binary'],
    ['PDF', Buffer.from('%PDF-1.7\n'), 'binary'],
    ['NUL bytes', Buffer.from('# 标题\n\n正文\u0000\u0000。'), 'binary'],
  ])('rejects %s with an error', (_name, bytes, code) => {
    const r = decode(bytes);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code, source: 'articles/x.txt' })]);
  });

  it('names the line of the first NUL byte', () => {
    const r = decode(Buffer.from('第一行\n第二行\n第\u0000三行'));
    expect(r.diagnostics[0]).toMatchObject({ line: 3, code: 'binary' });
  });

  it('rejects random binary data', () => {
    const bytes = new Uint8Array(4096);
    let seed = 42;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = 1 + (seed % 255); // no NUL, so only the content tells
    }
    const r = decode(bytes);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe('binary');
  });

  it('rejects bytes that are neither UTF-8 nor GB18030', () => {
    // 0x80 and 0xFF are never valid lead bytes in either encoding.
    const r = decode(Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 2 ? 0x80 : 0xff))));
    expect(r).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'encoding', severity: 'error' })] });
  });

  it('rejects a file over the size limit without reading it whole', () => {
    const r = decodeSource(Buffer.alloc(11, 0x41), 'articles/x.txt', { maxBytes: 10, size: 5 * 1024 * 1024 });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.message).toBe('file is 5.0 MB, over the 0.0 MB limit; skipped');
  });
});

describe('parseInput', () => {
  it('parses a GB18030 source with CRLF into the same article as its UTF-8 twin', () => {
    const options = { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: 1 << 20 };
    const base = { source: 'articles/x.txt', stem: 'x', firstSeen: '2026-11-25T00:00:00+08:00' };
    const gb = iconv.encode(TEXT, 'gb18030');
    const utf8 = Buffer.from(TEXT.replace(/\r\n/g, '\n'), 'utf8');
    const a = parseInput({ ...base, bytes: gb, size: gb.length }, options);
    const b = parseInput({ ...base, bytes: utf8, size: utf8.length }, options);
    expect(a.articles).toEqual(b.articles);
    expect(a.articles[0]).toMatchObject({ kicker: '引题', title: '标题', byline: { reporters: ['张三'] } });
  });
});

describe('strict UTF-8, decoded without TextDecoder', () => {
  // What the decoder did before it took the faster road, for strict UTF-8:
  // TextDecoder (which also drops a BOM after the one removed first), then
  // line ends normalised.
  function reference(bytes: Uint8Array): string | null {
    const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
    } catch {
      return null;
    }
  }

  it('gives what TextDecoder gave, BOMs and all', () => {
    const text = fc.array(fc.constantFrom('甲', '𠀀', '😀', 'a', '\r\n', '\n', '\uFEFF', '\uFFFD', '\u0001', '，'), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(text, fc.constantFrom(0, 1, 2), (pieces, boms) => {
        const bytes = Buffer.concat([Buffer.alloc(3 * boms, Buffer.from([0xef, 0xbb, 0xbf])), Buffer.from(pieces.join(''), 'utf8')]);
        const r = decode(bytes);
        const expected = reference(bytes);
        if (r.ok && r.encoding === 'utf-8' && expected !== null && expected.trim() !== '') expect(r.text).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('takes exactly the byte strings TextDecoder takes as strict UTF-8', () => {
    // Overlong forms, surrogates, code points past U+10FFFF, cut-off sequences.
    const tricky = fc.constantFrom(
      [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf4, 0x90, 0x80, 0x80],
      [0xf4, 0x8f, 0xbf, 0xbf], [0xe4, 0xb8], [0xef, 0xbf, 0xbd], [0xf0, 0x9f, 0x98, 0x80], [0x41],
    );
    fc.assert(
      fc.property(fc.array(tricky, { minLength: 1, maxLength: 12 }), (parts) => {
        const bytes = Buffer.from(parts.flat().concat(Array(40).fill(0x41)));
        const r = decode(bytes);
        const expected = reference(bytes);
        if (expected !== null) expect(r).toMatchObject({ ok: true, encoding: 'utf-8', text: expected });
        else expect(r.ok && r.encoding === 'utf-8' && !r.text.includes('\uFFFD')).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the clean flag', () => {
  const unit = fc.constantFrom('甲', 'a', '\n', '\t', '\r', '\u0001', '\u001b', '\u000c', '\uFFFD', '\uFFFE', '\uFFFF', '\uFEFF', '😀', '𠀀', ',', '#', ' ');
  it('is set only when cleanText would find nothing but a leading BOM, and parsing with it gives what parsing without does', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (text) => {
        const bytes = Buffer.from(text, 'utf8');
        const r = decode(bytes);
        if (!r.ok) return;
        if (r.clean) expect(/[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/.test(r.text), JSON.stringify(text)).toBe(false);
        const input = { source: 'articles/x.txt', stem: 'x', bytes, size: bytes.length, firstSeen: '2026-11-25T06:00:00+08:00' };
        const parse = { timeZone: 'Asia/Shanghai', punctuation: true, maxSourceBytes: OPTIONS.maxBytes };
        const unflagged = parseSource(r.text, { source: input.source, stem: input.stem, firstSeen: input.firstSeen, timeZone: parse.timeZone, punctuation: true });
        const withInput = parseInput(input, parse);
        expect(withInput.articles).toEqual(unflagged.articles);
        expect(withInput.diagnostics).toEqual([...r.diagnostics, ...unflagged.diagnostics]);
      }),
      { numRuns: 1500 },
    );
  });

  it('is set for plain UTF-8 text and not for text with CR, controls or an emoji', () => {
    expect(decode(Buffer.from('# 标题\n\n正文。\n'))).toMatchObject({ ok: true, clean: true });
    for (const text of ['正文\r\n', '正文\u0001\n', '正文😀\n', '正文\uFFFF\n']) expect(decode(Buffer.from(text))).toMatchObject({ ok: true, clean: false });
  });
});
