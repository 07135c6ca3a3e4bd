#!/usr/bin/env node
// The CLI. Runs the compiled JavaScript in dist/ when it was built from the
// sources exactly as they are now (bin/freshness.js), so it starts fast;
// otherwise (sources edited since `npm run build`, or never built) it runs
// the TypeScript sources through tsx. Either way the code that runs is the
// code in src/: a stale build never runs.
import { distIsCurrent } from './freshness.js';

if (distIsCurrent()) {
  // The bundle when esbuild made one (bin/build.js), else dist/ module by module.
  await import('../dist/bundle/cli/main.js').catch((err) => {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/bundle/cli/main.js')) throw err;
    return import('../dist/cli/main.js');
  });
} else {
  if (process.stderr.isTTY) {
    process.stderr.write('broadsheet: dist/ is not built from the current sources; running them through tsx (`npm run build` makes start-up fast)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
