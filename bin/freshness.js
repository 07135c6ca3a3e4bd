// Whether dist/ was compiled from src/ as it is now: the bin runs dist/ only
// then. At build time bin/build.js records every source file's size and
// mtime (taken before compiling, so an edit made while tsc runs counts as
// stale); at start-up the bin compares them with src/ as it is. Stat calls
// only: a few milliseconds for the whole tree.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** sha256 of a file, or 'missing'. node:crypto is loaded only when a file needs hashing (not for `--help`). */
function contentHash(file) {
  try {
    const bytes = readFileSync(file);
    return createRequire(import.meta.url)('node:crypto').createHash('sha256').update(bytes).digest('hex');
  } catch {
    return 'missing';
  }
}

/** `size mtimeMs` of a file, or 'missing'. */
function stateOf(file) {
  const s = statSync(file, { throwIfNoEntry: false });
  return s ? `${s.size} ${s.mtimeMs}` : 'missing';
}

/**
 * Every file under src/ as `relative path → "size mtimeMs"`, with the
 * inputs above as `<name> → { state, hash }`: they count by content (npm
 * rewrites package-lock.json unchanged: npm prune, npm ci), and their state
 * spares hashing them at start-up while they are untouched.
 */
export function snapshot(dir = SRC) {
  const out = { '<root>': ROOT };
  for (const name of INPUTS) {
    const file = path.join(ROOT, name);
    out[`<${name}>`] = { state: stateOf(file), hash: contentHash(file) };
  }
  Object.assign(out, sourceStates(dir));
  return out;
}

function sourceStates(dir) {
  const out = {};
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
  if (recorded['<root>'] !== ROOT) return false;
  for (const name of INPUTS) {
    const was = recorded[`<${name}>`];
    if (typeof was !== 'object' || was === null) return false;
    const file = path.join(ROOT, name);
    if (stateOf(file) !== was.state && contentHash(file) !== was.hash) return false;
  }
  const now = sourceStates(SRC);
  const names = Object.keys(now);
  const recordedSources = Object.keys(recorded).filter((n) => !n.startsWith('<'));
  return names.length === recordedSources.length && names.every((n) => recorded[n] === now[n]);
}
