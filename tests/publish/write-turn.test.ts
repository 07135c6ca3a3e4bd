// The threads that render pages take turns to write them: while one thread
// is in its turn, another that asks for one waits until it leaves.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { inTurn, newWriteTurn } from '../../src/publish/write-turn.ts';

const MODULE = new URL('../../src/publish/write-turn.ts', import.meta.url).href;

/** tsx's ESM API, for a thread that imports the TypeScript sources. */
function tsxApi(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}

// A thread that asks for the turn, says it is in (flags[0] = 1), stays until
// told to leave (flags[1] = 1), and says it left (flags[0] = 2). flags[2] = 1
// once it has asked.
const THREAD = `
const { workerData } = require('node:worker_threads');
import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(MODULE)}); }).then(({ inTurn }) => {
  const turn = new Int32Array(workerData.turn);
  const flags = new Int32Array(workerData.flags);
  Atomics.store(flags, 2, 1);
  inTurn(turn, () => {
    Atomics.store(flags, 0, 1);
    while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 20);
  }, 60000);
  Atomics.store(flags, 0, 2);
});
`;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function thread(turn: SharedArrayBuffer): Int32Array {
  const flags = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  workers.push(new Worker(THREAD, { eval: true, workerData: { turn, flags } }));
  return new Int32Array(flags);
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('writing in turn', () => {
  it('lets one thread in at a time: the second waits until the first leaves', async () => {
    const turn = newWriteTurn();
    const first = thread(turn);
    await until(() => first[0] === 1);
    const second = thread(turn);
    await until(() => second[2] === 1);
    // The second has asked; give it time to get in if the turn let it.
    await new Promise((r) => setTimeout(r, 100));
    expect(second[0]).toBe(0);
    Atomics.store(first, 1, 1);
    await until(() => first[0] === 2 && second[0] === 1);
    Atomics.store(second, 1, 1);
    await until(() => second[0] === 2);
  });

  it('does not wait for good on a turn nobody gives back (a thread stopped in it): it goes ahead after its patience', () => {
    const turn = new Int32Array(newWriteTurn());
    Atomics.store(turn, 0, 1); // taken, and never given back
    const started = Date.now();
    expect(inTurn(turn, () => 'wrote anyway', 50)).toBe('wrote anyway');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // Going ahead without the turn does not give away the one it never had.
    expect(Atomics.load(turn, 0)).toBe(1);
  });

  it('is free again after a turn that threw', () => {
    const turn = new Int32Array(newWriteTurn());
    expect(() => inTurn(turn, () => { throw new Error('disk full'); })).toThrow('disk full');
    expect(Atomics.load(turn, 0)).toBe(0);
    expect(inTurn(turn, () => 42)).toBe(42);
  });
});
