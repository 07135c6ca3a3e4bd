// The shared rate limit, against the real SQLite store and a simulated
// clock: over a long run the rate is the limit, neither above it (the relay
// would refuse) nor well below it (the edition would take longer than it must).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pacer } from '../../src/send/pace.ts';
import { openStore } from '../../src/store/open.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('the shared rate limit', () => {
  it.each([1, 10, 50])('lets %i messages a second through, over 60 simulated seconds, with two workers sharing it', async (perSecond) => {
    const dir = await tempDir('broadsheet-pace-');
    let now = Date.parse('2026-11-25T07:00:00Z');
    const clock = () => new Date(now);
    const store = await openStore({ sqlitePath: path.join(dir, 'broadsheet.db') }, clock);
    try {
      // A fixed sequence in [0, 1) for the jitter: the same run every time.
      let seed = 7;
      const jitter = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
      const sleep = async (ms: number) => void (now += ms);
      const workers = [0, 1].map(() => pacer({ rates: store.rates, clock, sleep, jitter }, perSecond));
      const end = now + 60_000;
      let sent = 0;
      // The workers take turns; each message itself takes 1 ms of the clock.
      for (let i = 0; now < end; i++) {
        await workers[i % 2]!();
        if (now >= end) break;
        sent++;
        now += 1;
      }
      // The bucket starts full: at most two grants over the limit, and no more than 5% under it.
      const grant = Math.ceil(perSecond / 5);
      expect(sent).toBeLessThanOrEqual(perSecond * 60 + 2 * grant);
      expect(sent).toBeGreaterThanOrEqual(perSecond * 60 * 0.95);
    } finally {
      await store.close();
    }
  });
});
