// Writing a file so that readers never see half of it: a temporary file in
// the same folder, then a rename.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
