// Types for freshness.js, for the TypeScript that asks whether dist/ is current (the benches).
export const ROOT: string;
export const SRC: string;
export const DIST: string;
export const STAMP: string;
export function snapshot(dir?: string): Record<string, string>;
export function distIsCurrent(): boolean;
