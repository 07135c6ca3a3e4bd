// "A stale build never runs": the bin runs dist/ only when it was built from
// the project as it is now — its sources, its dependencies' lockfile and
// package.json, its compiler settings, and its folder (the bundle names its
// own files by absolute URL). A copy of the project, built for real.
import { spawnSync } from 'node:child_process';
import { cp, readFile, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

async function current(project: string): Promise<boolean> {
  const { distIsCurrent } = (await import(pathToFileURL(path.join(project, 'bin', 'freshness.js')).href)) as { distIsCurrent: () => boolean };
  return distIsCurrent();
}

describe('dist/ freshness', () => {
  it('counts dist/ as current only for the sources, lockfile, package.json and folder it was built from', { timeout: 240_000 }, async () => {
    const base = await tempDir('broadsheet-fresh-dist-');
    const project = path.join(base, 'a');
    for (const part of ['bin', 'src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      await cp(path.join(ROOT, part), path.join(project, part), { recursive: true });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
    expect(await current(project)).toBe(false);
    const built = spawnSync(process.execPath, [path.join(project, 'bin', 'build.js')], { cwd: project, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    expect(await current(project)).toBe(true);

    // npm rewrites an unchanged lockfile (npm ci, npm prune): not a change.
    const lock = path.join(project, 'package-lock.json');
    await utimes(lock, new Date(), new Date(Date.now() + 5000));
    expect(await current(project)).toBe(true);
    // Another dependency is: the bundle holds the old one.
    const pkg = path.join(project, 'package.json');
    const original = await readFile(pkg, 'utf8');
    await writeFile(pkg, original.replace('"liquidjs": "^', '"liquidjs": "~'));
    expect(await current(project)).toBe(false);
    await writeFile(pkg, original);
    expect(await current(project)).toBe(true);

    // An edited source.
    const source = path.join(project, 'src', 'errors.ts');
    const text = await readFile(source, 'utf8');
    await writeFile(source, `${text}\n`);
    expect(await current(project)).toBe(false);
    await writeFile(source, text);
    // Same bytes, new mtime: still not the file dist/ was built from.
    expect(await current(project)).toBe(false);

    // A moved copy never counts as current, even with its record.
    const moved = path.join(base, 'b');
    await rename(project, moved);
    expect(await current(moved)).toBe(false);
  });
});
