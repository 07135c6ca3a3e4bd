// Whether dist/ was compiled from src/ as it is now: the bin runs dist/ only
// then. At build time bin/build.js records every source file's size and
// mtime (taken before compiling, so an edit made while tsc runs counts as
// stale); at start-up the bin compares them with src/ as it is. Stat calls
// only: a few milliseconds for the whole tree.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const SRC = path.join(ROOT, 'src');
export const DIST = path.join(ROOT, 'dist');
export const STAMP = path.join(DIST, '.sources.json');

/**
 * What dist/ is built from: the project's place (the bundle names its own
 * files by absolute URL, so a moved copy must rebuild), the files that
 * decide what goes into it (the dependencies' versions, the compiler's
 * settings, this build) and every file under src/, as `name → "size mtimeMs"`.
 */
const INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/build.js'];

/** Every file under src/ as `relative path → "size mtimeMs"`, with the inputs above. */
export function snapshot(dir = SRC) {
  const out = { '<root>': ROOT };
  for (const name of INPUTS) {
    try {
      // By content: npm rewrites package-lock.json unchanged (npm prune, npm ci), which must not count as a change.
      out[`<${name}>`] = createHash('sha256').update(readFileSync(path.join(ROOT, name))).digest('hex');
    } catch {
      out[`<${name}>`] = 'missing';
    }
  }
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else {
        const info = statSync(path.join(dir, child));
        out[child] = `${info.size} ${info.mtimeMs}`;
      }
    }
  };
  walk('');
  return out;
}

/** True when dist/ holds a build of exactly the sources now in src/. */
export function distIsCurrent() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  const now = snapshot();
  const names = Object.keys(now);
  return names.length === Object.keys(recorded).length && names.every((n) => recorded[n] === now[n]);
}
