// How many sources the articles folder holds at its top, by name alone: the
// estimate `build` starts its worker threads by before the folder is listed.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSources, sourcesAtTop } from '../../src/corpus/sources.ts';
import { tempDir, writeFiles } from '../helpers/tmp.ts';

describe('sourcesAtTop', () => {
  it('counts the *.txt and *.md at the top, not hidden ones, other files or what subfolders hold', async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      'a.txt': 'x',
      'b.MD': 'x',
      'c.md': 'x',
      '.hidden.txt': 'x',
      'notes.docx': 'x',
      'README': 'x',
      'sub/d.txt': 'x',
      'sub/e.txt': 'x',
    });
    expect(sourcesAtTop(dir)).toBe(3);
    // The listing, by contrast, walks the subfolders too.
    expect(listSources(dir).refs.length).toBe(5);
  });

  it('is 0 for a folder that is missing or a file, leaving the error to the listing', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'file.txt': 'x' });
    expect(sourcesAtTop(path.join(dir, 'missing'))).toBe(0);
    expect(sourcesAtTop(path.join(dir, 'file.txt'))).toBe(0);
    expect(() => listSources(path.join(dir, 'missing'))).toThrow(/articles folder does not exist/);
  });
});
