#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx broadsheet` works
// right after `npm install` and can never run a stale build.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
