// Writing files so that readers never see half of one, and the errors of
// writing turned into one clear line.
import { rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputError } from './errors.ts';

let counter = 0;

/** A temporary name next to `file`, unique in this process. */
export function tempName(file: string): string {
  return `${file}.${process.pid}.${++counter}.tmp`;
}

/**
 * A temporary file in the same folder, then a rename. On failure (a full
 * disk) the temporary file is removed, so failed writes leave nothing behind.
 */
export async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Removes a file if it can: cleaning up after a failed write, where a second error would hide the first. */
export function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing to clean up, or nothing we can do
  }
}

const REASONS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'a file is in the way',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
};

/** Whether an error is the file system refusing a write (as opposed to a bug). */
export function isWriteFailure(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * `public/rss.xml: error: cannot write the output folder: no space left on
 * the device (ENOSPC)`: a write the disk refused, as an OutputError (exit
 * 69); anything else is passed through unchanged.
 */
export function outputErrorOf(err: unknown, where: string, what: string): unknown {
  if (!isWriteFailure(err)) return err;
  const reason = REASONS[err.code!] ?? err.code!.toLowerCase();
  return new OutputError(`${where}: error: ${what}: ${reason} (${err.code})`);
}
