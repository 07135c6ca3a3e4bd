#!/usr/bin/env node
// `npm run build`, and `npm install` through `prepare`: compiles src/ into
// dist/ with tsc (tsconfig.build.json), removes compiled files whose source
// is gone, joins dist/ into a few files in dist/bundle/ with esbuild, and
// records which sources dist/ was built from (bin/freshness.js). Without
// TypeScript (an install without dev dependencies) it builds nothing and
// says so: the bin then runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT, SRC, STAMP, snapshot } from './freshness.js';

/** Loaded from node_modules at run time: native code, optional native add-ons, and packages that find their own files on disk. */
const EXTERNAL = [
  'better-sqlite3',
  'pg-native',
  'pg-cloudflare',
  'mjml',
  'nodemailer',
  'pino',
  'chokidar',
  'fsevents',
  'tsx',
  'esbuild',
  'typescript',
];

const sources = snapshot();
// Until the new build is complete, dist/ does not count as current; nor
// does an old build when this one cannot be made (an install without dev
// dependencies after the sources or the dependencies changed).
rmSync(STAMP, { force: true });

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('broadsheet: TypeScript is not installed, so dist/ is not built; the CLI runs the sources through tsx');
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
if (r.status !== 0) {
  // dist/ stays without its record, so the CLI runs the sources (through tsx).
  // `--if-possible` (npm install, npm test) carries on: an install should not
  // fail on a type error, and `npm test` reports them itself.
  if (process.argv.includes('--if-possible')) {
    console.error('broadsheet: dist/ not built (TypeScript errors above); the CLI runs the sources through tsx');
    process.exit(0);
  }
  process.exit(r.status ?? 1);
}

// Compiled files of sources that were deleted or renamed would otherwise linger.
const prune = (rel) => {
  for (const entry of readdirSync(path.join(DIST, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) prune(child);
    else if (entry.name.endsWith('.js') && !existsSync(path.join(SRC, child.replace(/\.js$/, '.ts')))) rmSync(path.join(DIST, child));
  }
};
prune('');

// dist/ as tsc writes it is one file per module: Node's loader resolves and
// links each (kysely alone is 280), which costs a short command much of its
// time. esbuild joins them into a few files in dist/bundle/, which the bin
// runs. Modules that others start by URL (worker threads, the page task:
// `new URL(`./name${ext}`, import.meta.url)`) become entry points of their
// own, at their place in dist/bundle/ (corpus/worker.js …), and every
// bundled module's import.meta.url is its place there, so those URLs resolve
// as they do in dist/. Native and heavyweight packages that read their own
// files at run time stay outside, loaded from node_modules.
let esbuild = null;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('broadsheet: esbuild is not installed; the CLI runs dist/ unbundled');
}
const BUNDLE = path.join(DIST, 'bundle');
rmSync(BUNDLE, { recursive: true, force: true });
if (esbuild) {
  const started = new Set([path.join(DIST, 'cli', 'main.js')]);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.js')) {
        for (const m of readFileSync(file, 'utf8').matchAll(/new URL\(\s*`\.\/([\w.-]+)\$\{[^`]*\}`\s*,\s*import\.meta\.url\s*\)/g)) {
          const target = path.join(dir, `${m[1]}.js`);
          if (existsSync(target)) started.add(target);
        }
      }
    }
  };
  walk(DIST);
  const placeInBundle = {
    name: 'place-in-bundle',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(DIST + path.sep)) return undefined;
        const url = pathToFileURL(path.join(BUNDLE, path.relative(DIST, args.path))).href;
        return { contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(url)), loader: 'js' };
      });
    },
  };
  // zod's namespace re-exports its 60-odd locales (z.locales), which the
  // bundle then carries whole: a quarter of what every command that reads the
  // config compiles at start-up. broadsheet's messages are its own and only
  // English is ever configured (zod registers it itself), so the bundle gets
  // that one.
  const zodEnglishOnly = {
    name: 'zod-english-only',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)) return undefined;
        return { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' };
      });
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));
    },
  };
  const options = {
    absWorkingDir: ROOT,
    entryPoints: [...started],
    outbase: DIST,
    outdir: BUNDLE,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Class and function names as in the sources: error names and stack traces read the same.
    keepNames: true,
    external: EXTERNAL,
    // LiquidJS's ES module build: bundled from CommonJS, every use of one of
    // its exports would go through a getter (the templates use them per node).
    // yaml likewise: its ES module build (the same code; the package serves it to browsers).
    alias: { liquidjs: 'liquidjs/dist/liquid.node.mjs', yaml: path.join(ROOT, 'node_modules', 'yaml', 'browser', 'index.js') },
    plugins: [placeInBundle, zodEnglishOnly],
    // Packages bundled from CommonJS call require() for Node's own modules.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  };
  // esbuild throws at once (not a rejected promise) when its binary is missing.
  await Promise.resolve().then(() => esbuild.build(options)).catch(() => {
    // The bin runs dist/ module by module without it.
    console.error('broadsheet: dist/bundle/ not built (esbuild errors above); the CLI runs dist/ unbundled');
    rmSync(BUNDLE, { recursive: true, force: true });
  });
}
writeFileSync(STAMP, JSON.stringify(sources));
