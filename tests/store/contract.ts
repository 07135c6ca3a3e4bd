// The store's contract, run against SQLite (unit suite) and PostgreSQL
// (system suite). Every test gets a fresh database.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/open.ts';
import { decideBounce } from '../../src/subscribers/lifecycle.ts';
import { decideConfirm, decideSubscribe, decideUnsubscribe, type Subscriber } from '../../src/subscribers/lifecycle.ts';

export type OpenStore = (now?: () => Date) => Promise<Store>;

const T0 = new Date('2026-11-25T00:00:00Z');
const T1 = new Date('2026-11-25T01:00:00Z');
const T2 = new Date('2026-11-25T02:00:00Z');

let idCounter = 0;
const newId = () => (++idCounter).toString(16).padStart(32, '0');

async function addSubscriber(store: Store, email: string, opts: { confirmed?: boolean; schedule?: string } = {}): Promise<Subscriber> {
  const r = await store.subscribers.change({ email }, (current) =>
    decideSubscribe(current, { email, name: null, schedule: opts.schedule ?? 'daily', origin: 'cli', confirmed: opts.confirmed ?? false }, T0.toISOString(), newId()),
  );
  return r.subscriber!;
}

export function storeContract(name: string, open: OpenStore): void {
  describe(`store contract (${name})`, () => {
    it('remembers when each source was first seen and never moves it', async () => {
      const store = await open();
      try {
        const first = await store.items.recordSources(['a.txt', 'b.txt'], T0);
        expect(Object.fromEntries(first)).toEqual({ 'a.txt': T0.toISOString(), 'b.txt': T0.toISOString() });
        const again = await store.items.recordSources(['a.txt', 'c.txt'], T1);
        expect(Object.fromEntries(again)).toEqual({ 'a.txt': T0.toISOString(), 'b.txt': T0.toISOString(), 'c.txt': T1.toISOString() });
      } finally {
        await store.close();
      }
    });

    it('tracks items: first seen, changed, removed, back again', async () => {
      const store = await open();
      try {
        const item = (hash: string) => ({ id: 'a#1', source: 'a.txt', hash, title: '标题', published: '2026-03-31T00:00:00+08:00' });
        const s0 = await store.items.syncItems([item('h1'), { ...item('x'), id: 'b#1', source: 'b.txt' }], T0);
        expect(s0.get('a#1')).toEqual({ id: 'a#1', firstSeen: T0.toISOString(), lastChanged: null });
        const s1 = await store.items.syncItems([item('h1'), { ...item('x'), id: 'b#1', source: 'b.txt' }], T1);
        expect(s1.get('a#1')!.lastChanged).toBeNull();
        const s2 = await store.items.syncItems([item('h2')], T2);
        expect(s2.get('a#1')).toEqual({ id: 'a#1', firstSeen: T0.toISOString(), lastChanged: T2.toISOString() });
        // b#1 disappeared; when it comes back it keeps its first-seen moment.
        const s3 = await store.items.syncItems([item('h2'), { ...item('x'), id: 'b#1', source: 'b.txt' }], new Date('2026-11-26T00:00:00Z'));
        expect(s3.get('b#1')).toEqual({ id: 'b#1', firstSeen: T0.toISOString(), lastChanged: null });
      } finally {
        await store.close();
      }
    });

    it('records a new reading of some items only, as a whole reading would for them, or refuses', async () => {
      const store = await open();
      try {
        const item = (id: string, hash: string) => ({ id, source: `${id[0]}.txt`, hash, title: '标题', published: '2026-03-31T00:00:00+08:00' });
        await store.items.recordSources(['a.txt', 'b.txt'], T0);
        await store.items.syncItems([item('a#1', 'h1'), item('b#1', 'x'), item('c#1', 'y')], T0);
        expect(await store.items.sourcesFirstSeenOf(['b.txt', 'nope.txt'])).toEqual(new Map([['b.txt', T0.toISOString()]]));
        const updated = await store.items.updateItems([item('a#1', 'h2'), item('b#1', 'x')], T1);
        expect(updated).toEqual(
          new Map([
            ['a#1', { id: 'a#1', firstSeen: T0.toISOString(), lastChanged: T1.toISOString() }],
            ['b#1', { id: 'b#1', firstSeen: T0.toISOString(), lastChanged: null }],
          ]),
        );
        // The others untouched: c#1 is not removed although this reading left it out.
        const all = await store.items.previewItems([item('a#1', 'h2'), item('b#1', 'x'), item('c#1', 'y')], T2);
        expect(all.get('c#1')).toEqual({ id: 'c#1', firstSeen: T0.toISOString(), lastChanged: null });
        expect(all.get('a#1')!.lastChanged).toBe(T1.toISOString());
        // An item never recorded, recorded from another source, or removed: refused, nothing changed.
        expect(await store.items.updateItems([item('a#1', 'h3'), item('d#1', 'z')], T2)).toBeNull();
        expect(await store.items.updateItems([{ ...item('a#1', 'h3'), source: 'copy.txt' }], T2)).toBeNull();
        await store.items.syncItems([item('a#1', 'h2'), item('b#1', 'x')], T2); // c#1 removed
        expect(await store.items.updateItems([item('c#1', 'y2')], T2)).toBeNull();
        expect((await store.items.previewItems([item('a#1', 'h2')], T2)).get('a#1')!.lastChanged).toBe(T1.toISOString());
      } finally {
        await store.close();
      }
    });

    it('keeps one subscriber per address and applies lifecycle decisions atomically', async () => {
      const store = await open();
      try {
        const created = await addSubscriber(store, 'a@example.com');
        expect(created.status).toBe('pending');
        const again = await store.subscribers.change({ email: 'a@example.com' }, (current) =>
          decideSubscribe(current, { email: 'a@example.com', name: '甲', schedule: 'weekly', origin: 'web', confirmed: false }, T1.toISOString(), newId()),
        );
        expect(again.outcome).toBe('pending-again');
        expect(again.subscriber!.id).toBe(created.id);
        const confirmed = await store.subscribers.change({ id: created.id }, (c) => decideConfirm(c, T1.toISOString()));
        expect(confirmed.outcome).toBe('confirmed');
        const stored = await store.subscribers.get({ email: 'a@example.com' });
        expect(stored).toMatchObject({ id: created.id, name: '甲', schedule: 'weekly', status: 'active', confirmedAt: T1.toISOString(), createdAt: T0.toISOString() });
        const gone = await store.subscribers.change({ id: created.id }, (c) => decideUnsubscribe(c, T2.toISOString()));
        expect(gone.outcome).toBe('unsubscribed');
        const twice = await store.subscribers.change({ id: created.id }, (c) => decideUnsubscribe(c, T2.toISOString()));
        expect(twice.outcome).toBe('already-unsubscribed');
        expect(await store.subscribers.count({})).toBe(1);
        expect(await store.subscribers.get({ id: 'f'.repeat(32) })).toBeNull();
      } finally {
        await store.close();
      }
    });

    it('rolls back a decision that fails, changing nothing', async () => {
      const store = await open();
      try {
        await expect(
          store.subscribers.change({ email: 'x@example.com' }, () => {
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.subscribers.count({})).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('changes many addresses in one transaction, in order, with duplicates seeing earlier rows', async () => {
      const store = await open();
      try {
        await addSubscriber(store, 'old@example.com', { confirmed: true });
        const emails = ['new1@example.com', 'old@example.com', 'new1@example.com', 'new2@example.com'];
        const results = await store.subscribers.changeMany(emails, (current, i) =>
          decideSubscribe(current, { email: emails[i]!, name: null, schedule: 'daily', origin: 'import', confirmed: true }, T1.toISOString(), newId()),
        );
        expect(results.map((r) => r.outcome)).toEqual(['activated', 'already-active', 'already-active', 'activated']);
        expect(await store.subscribers.count({ status: 'active' })).toBe(3);
      } finally {
        await store.close();
      }
    });

    it('freezes an edition for the active subscribers of its schedule and hands each delivery to one claimant', async () => {
      const store = await open();
      try {
        const subs = [];
        for (let i = 0; i < 6; i++) subs.push(await addSubscriber(store, `d${i}@example.com`, { confirmed: i !== 5 }));
        await addSubscriber(store, 'weekly@example.com', { confirmed: true, schedule: 'weekly' });
        const edition = await store.editions.freeze(
          { id: 'daily-1', schedule: 'daily', createdAt: T1.toISOString(), since: T0.toISOString(), until: T1.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 },
          ['a#1'],
          'news.example.com',
        );
        expect(edition.recipientCount).toBe(5);
        expect(await store.editions.items('daily-1')).toEqual(['a#1']);
        const a = await store.editions.claim('daily-1', 'run-a', T1, 3, new Date(T1.getTime() + 60_000));
        const b = await store.editions.claim('daily-1', 'run-b', T1, 3, new Date(T1.getTime() + 60_000));
        expect(a).toHaveLength(3);
        expect(b).toHaveLength(2);
        expect(new Set([...a, ...b].map((d) => d.subscriberId)).size).toBe(5);
        expect(a[0]).toMatchObject({ state: 'sending', attempts: 0, messageId: `<daily-1.${a[0]!.subscriberId}@news.example.com>` });
        // Only the claimant records or releases.
        const sent = (id: string) => ({ subscriberId: id, outcome: { state: 'sent' as const, response: '250' } });
        expect(await store.editions.record('daily-1', 'run-b', [sent(a[0]!.subscriberId)], T2)).toEqual(new Set());
        // One transaction for several answers; an answer for a delivery run-a does not hold is left out.
        expect(await store.editions.record('daily-1', 'run-a', [sent(a[0]!.subscriberId), sent(b[0]!.subscriberId)], T2)).toEqual(new Set([a[0]!.subscriberId]));
        await store.editions.release('daily-1', 'run-b', [a[1]!.subscriberId], T2);
        await store.editions.release('daily-1', 'run-a', [a[2]!.subscriberId], T2);
        expect(await store.editions.counts('daily-1')).toEqual({ queued: 1, sending: 3, sent: 1, failed: 0, skipped: 0 });
        // A dead run's in-flight rows go back to the queue.
        expect(await store.editions.requeueAbandoned('daily-1', T2, () => true)).toBe(3);
        expect(await store.editions.unfinished('daily')).toMatchObject({ id: 'daily-1' });
      } finally {
        await store.close();
      }
    });

    it('charges an attempt when the answer is recorded, never for a claim a dead run left behind', async () => {
      const store = await open();
      try {
        await addSubscriber(store, 'a@example.com', { confirmed: true });
        await store.editions.freeze(
          { id: 'e1', schedule: 'daily', createdAt: T1.toISOString(), since: T0.toISOString(), until: T1.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 },
          [],
          'x.example',
        );
        // Three runs die after claiming, before the transport answers.
        for (let run = 0; run < 3; run++) {
          expect(await store.editions.claim('e1', `dead-${run}`, T1, 10, new Date(T1.getTime() + 60_000))).toHaveLength(1);
          expect(await store.editions.requeueAbandoned('e1', T1, () => true)).toBe(1);
        }
        const [d] = await store.editions.claim('e1', 'live', T1, 10, new Date(T1.getTime() + 60_000));
        expect(d!.attempts).toBe(0);
        const retry = { state: 'queued' as const, response: '451 try later', nextAttemptAt: T1.toISOString() };
        expect(await store.editions.record('e1', 'live', [{ subscriberId: d!.subscriberId, outcome: retry }], T1)).toEqual(new Set([d!.subscriberId]));
        const [again] = await store.editions.claim('e1', 'live', T2, 10, new Date(T2.getTime() + 60_000));
        expect(again).toMatchObject({ attempts: 1, lastResponse: '451 try later' });
        // Released unattempted (Ctrl-C before its turn): nothing charged.
        await store.editions.release('e1', 'live', [again!.subscriberId], T2);
        expect((await store.editions.claim('e1', 'live', T2, 10, new Date(T2.getTime() + 60_000)))[0]!.attempts).toBe(1);
      } finally {
        await store.close();
      }
    });

    it('retries failures of active subscribers only, keeping every answer, and lists the failures', async () => {
      const store = await open();
      try {
        const bounced = await addSubscriber(store, 'bounced@example.com', { confirmed: true });
        const refused = await addSubscriber(store, 'refused@example.com', { confirmed: true });
        await addSubscriber(store, 'fine@example.com', { confirmed: true });
        await store.editions.freeze(
          { id: 'e1', schedule: 'daily', createdAt: T1.toISOString(), since: T0.toISOString(), until: T1.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 },
          [],
          'x.example',
        );
        const claimed = await store.editions.claim('e1', 'run', T1, 10, new Date(T1.getTime() + 60_000));
        const answer = new Map([
          [bounced.id, { state: 'failed' as const, response: '550 5.1.1 no such user' }],
          [refused.id, { state: 'failed' as const, response: '554 5.7.1 policy' }],
        ]);
        await store.editions.record('e1', 'run', claimed.map((d) => ({ subscriberId: d.subscriberId, outcome: answer.get(d.subscriberId) ?? { state: 'sent', response: '250 ok' } })), T1);
        await store.subscribers.change({ id: bounced.id }, (c) => decideBounce(c, '550 5.1.1 no such user', T1.toISOString()));

        expect(await store.editions.requeueFailed('e1', T2)).toEqual({ requeued: 1, kept: 1 });
        expect(await store.editions.counts('e1')).toEqual({ queued: 1, sending: 0, sent: 1, failed: 1, skipped: 0 });
        const failures = [];
        for await (const b of store.editions.failures('e1')) failures.push(...b);
        expect(failures).toEqual([
          { email: 'bounced@example.com', name: null, attempts: 1, lastResponse: '550 5.1.1 no such user', at: T1.toISOString(), subscriberStatus: 'bounced' },
        ]);
        // The retried one keeps its answer until a new one comes, even if its subscriber leaves meanwhile.
        await store.subscribers.change({ id: refused.id }, (c) => decideUnsubscribe(c, T2.toISOString()));
        expect(await store.editions.claim('e1', 'run2', T2, 10, new Date(T2.getTime() + 60_000))).toEqual([]);
        expect(await store.editions.counts('e1')).toEqual({ queued: 0, sending: 0, sent: 1, failed: 1, skipped: 1 });
        expect(await store.editions.summary('e1')).toMatchObject({ id: 'e1', recipientCount: 3, counts: { sent: 1, failed: 1, skipped: 1 } });
        expect(await store.editions.summary('nope')).toBeNull();
      } finally {
        await store.close();
      }
    });

    it('refuses to freeze an edition planned before another run froze a newer one of the schedule', async () => {
      const store = await open();
      try {
        await addSubscriber(store, 'f@example.com', { confirmed: true });
        const T2 = new Date(T1.getTime() + 3600_000);
        const edition = (id: string, since: Date, until: Date) =>
          ({ id, schedule: 'daily', createdAt: until.toISOString(), since: since.toISOString(), until: until.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 });
        await store.editions.freeze(edition('e1', T0, T1), [], 'x.example');
        // A run that planned from T0 too (it lost the lease unawares) must not freeze the same items again.
        await expect(store.editions.freeze(edition('e1-2', T0, T2), [], 'x.example')).rejects.toMatchObject({ name: 'BusyError', kind: 'busy' });
        expect((await store.editions.list('daily')).map((e) => e.id)).toEqual(['e1']);
        // Planned from the newest edition, it is frozen.
        await store.editions.freeze(edition('e2', T1, T2), [], 'x.example');
        expect((await store.editions.list('daily')).map((e) => e.id).sort()).toEqual(['e1', 'e2']);
      } finally {
        await store.close();
      }
    });

    it('lets claims run out: an expired claim goes to the next claimant, and its old holder records nothing', async () => {
      const store = await open();
      try {
        for (let i = 0; i < 4; i++) await addSubscriber(store, `w${i}@example.com`, { confirmed: true });
        await store.editions.freeze(
          { id: 'e1', schedule: 'daily', createdAt: T1.toISOString(), since: T0.toISOString(), until: T1.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 },
          [],
          'x.example',
        );
        expect(await store.editions.open()).toMatchObject([{ id: 'e1' }]);
        const at = (s: number) => new Date(T1.getTime() + s * 1000);
        const a = await store.editions.claim('e1', 'worker-a', at(0), 2, at(60));
        expect(a).toHaveLength(2);
        // Renewed before it runs out: still a's at 90 s.
        const ids = a.map((d) => d.subscriberId);
        expect(await store.editions.renewClaims('e1', 'worker-a', at(120), ids)).toEqual(new Set(ids));
        // Only the claims named are renewed: one the worker lost track of runs out and goes to the next claimant.
        expect(await store.editions.renewClaims('e1', 'worker-a', at(120), ['no-such-subscriber'])).toEqual(new Set());
        const b = await store.editions.claim('e1', 'worker-b', at(90), 10, at(150));
        expect(b.map((d) => d.subscriberId).sort()).not.toContain(a[0]!.subscriberId);
        expect(b).toHaveLength(2);
        // Nothing left to claim; the next chance is when someone's claim runs out.
        expect(await store.editions.claim('e1', 'worker-c', at(91), 10, at(151))).toEqual([]);
        expect(await store.editions.nextWork('e1')).toBe(at(120).toISOString());
        // a stalls past its claims: c takes them over, and a's answers are not recorded.
        const c = await store.editions.claim('e1', 'worker-c', at(121), 10, at(181));
        expect(c.map((d) => d.subscriberId).sort()).toEqual(a.map((d) => d.subscriberId).sort());
        const sent = (d: { subscriberId: string }) => ({ subscriberId: d.subscriberId, outcome: { state: 'sent' as const, response: '250' } });
        expect(await store.editions.record('e1', 'worker-a', a.map(sent), at(122))).toEqual(new Set());
        expect(await store.editions.renewClaims('e1', 'worker-a', at(200), ids)).toEqual(new Set());
        expect((await store.editions.record('e1', 'worker-c', c.map(sent), at(122))).size).toBe(2);
        // A known-dead claimant's rows go back at once; a live one's stay.
        expect(await store.editions.requeueAbandoned('e1', at(123), (claimant) => claimant === 'worker-x')).toBe(0);
        expect(await store.editions.requeueAbandoned('e1', at(123), (claimant) => claimant === 'worker-b')).toBe(2);
        const again = await store.editions.claim('e1', 'worker-d', at(124), 10, at(184));
        expect((await store.editions.record('e1', 'worker-d', again.map(sent), at(125))).size).toBe(2);
        expect(await store.editions.nextWork('e1')).toBeNull();
        expect(await store.editions.open()).toEqual([]);
        expect(await store.editions.counts('e1')).toEqual({ queued: 0, sending: 0, sent: 4, failed: 0, skipped: 0 });
      } finally {
        await store.close();
      }
    });

    it('keeps a token bucket every process draws on, and a list of the workers at work', async () => {
      const store = await open();
      try {
        const at = (ms: number) => new Date(T1.getTime() + ms);
        // 10 per second, at most 4 at once; a new bucket starts full.
        expect(await store.rates.take('smtp', 3, 10, 4, at(0))).toBe(3);
        expect(await store.rates.take('smtp', 3, 10, 4, at(0))).toBe(1);
        expect(await store.rates.take('smtp', 3, 10, 4, at(0))).toBe(0);
        expect(await store.rates.take('smtp', 3, 10, 4, at(150))).toBe(1);
        // Idle for a long time: never more than the capacity.
        expect(await store.rates.take('smtp', 100, 10, 4, at(60_000))).toBe(4);
        expect(await store.rates.take('other', 1, 1, 1, at(60_000))).toBe(1);

        await store.workers.beat({ id: 'h:1:10:a', host: 'h', pid: 10, startedAt: at(0).toISOString(), editionId: 'e1', sent: 0 }, at(0));
        await store.workers.beat({ id: 'h:1:11:b', host: 'h', pid: 11, startedAt: at(0).toISOString(), editionId: null, sent: 0 }, at(0));
        await store.workers.beat({ id: 'h:1:10:a', host: 'h', pid: 10, startedAt: at(0).toISOString(), editionId: 'e1', sent: 42 }, at(20_000));
        expect(await store.workers.active(at(10_000))).toEqual([
          { id: 'h:1:10:a', host: 'h', pid: 10, startedAt: at(0).toISOString(), seenAt: at(20_000).toISOString(), editionId: 'e1', sent: 42 },
        ]);
        await store.workers.leave('h:1:10:a');
        expect(await store.workers.active(at(0))).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    it('skips deliveries to subscribers who left after the edition was frozen', async () => {
      const store = await open();
      try {
        const gone = await addSubscriber(store, 'gone@example.com', { confirmed: true });
        const bounced = await addSubscriber(store, 'bounced@example.com', { confirmed: true });
        await addSubscriber(store, 'stays@example.com', { confirmed: true });
        await store.editions.freeze(
          { id: 'e1', schedule: 'daily', createdAt: T1.toISOString(), since: T0.toISOString(), until: T1.toISOString(), subject: 's', html: 'h', text: 't', nonce: 'n', itemCount: 1, shownCount: 1 },
          [],
          'x.example',
        );
        await store.subscribers.change({ id: gone.id }, (c) => decideUnsubscribe(c, T2.toISOString()));
        await store.subscribers.change({ id: bounced.id }, (c) => decideBounce(c, '550', T2.toISOString()));
        const claimed = await store.editions.claim('e1', 'run', T2, 10, new Date(T2.getTime() + 60_000));
        expect(claimed.map((d) => d.email)).toEqual(['stays@example.com']);
        expect(await store.editions.counts('e1')).toEqual({ queued: 0, sending: 1, sent: 0, failed: 0, skipped: 2 });
      } finally {
        await store.close();
      }
    });

    it('gives a lease to one holder at a time, and to another once it expires or its holder is dead', async () => {
      const store = await open();
      try {
        const later = (s: number) => new Date(T0.getTime() + s * 1000);
        expect(await store.leases.acquire('send:daily', 'a', T0, later(60), () => false)).toBe(true);
        expect(await store.leases.acquire('send:daily', 'b', later(10), later(70), () => false)).toBe(false);
        expect(await store.leases.acquire('send:daily', 'a', later(10), later(70), () => false)).toBe(true);
        expect(await store.leases.renew('send:daily', 'b', later(80))).toBe(false);
        expect(await store.leases.acquire('send:daily', 'b', later(20), later(80), (h) => h === 'a')).toBe(true);
        expect(await store.leases.holder('send:daily')).toEqual({ holder: 'b', expiresAt: later(80).toISOString() });
        expect(await store.leases.acquire('send:daily', 'c', later(81), later(140), () => false)).toBe(true);
        await store.leases.release('send:daily', 'b');
        expect((await store.leases.holder('send:daily'))?.holder).toBe('c');
        await store.leases.release('send:daily', 'c');
        expect(await store.leases.holder('send:daily')).toBeNull();
      } finally {
        await store.close();
      }
    });

    it('streams subscribers in id batches, filtered by status and schedule', async () => {
      const store = await open();
      try {
        for (let i = 0; i < 25; i++) await addSubscriber(store, `s${i}@example.com`, { confirmed: i % 2 === 0, schedule: i % 5 === 0 ? 'weekly' : 'daily' });
        const batches: Subscriber[][] = [];
        for await (const b of store.subscribers.batches({ status: 'active', schedule: 'daily' }, 4)) batches.push(b);
        const all = batches.flat();
        expect(batches.every((b) => b.length <= 4)).toBe(true);
        expect(all.map((s) => s.id)).toEqual([...all.map((s) => s.id)].sort());
        expect(all.every((s) => s.status === 'active' && s.schedule === 'daily')).toBe(true);
        expect(all).toHaveLength(await store.subscribers.count({ status: 'active', schedule: 'daily' }));
        expect(all).toHaveLength(10); // even i, not a multiple of 5: 0..24 → 13 even, minus 0, 10, 20
      } finally {
        await store.close();
      }
    });
  });
}
