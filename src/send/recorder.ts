// Recording answers in batches (group commit). Each sending lane hands its
// answer over and waits until it is committed before it takes its next
// delivery, so no more messages are accepted-but-unrecorded than there are
// lanes: a run killed at any moment sends again at most that many. The
// answers that arrive while a transaction commits go together in the next
// one, so a busy send writes one transaction per handful of messages, not one
// per message.
import { StoreError } from '../errors.ts';
import type { Answer, EditionStore } from './store.ts';

interface Waiting {
  answer: Answer;
  done: (recorded: boolean) => void;
  fail: (err: unknown) => void;
}

export class Recorder {
  private waiting: Waiting[] = [];
  private flushing: Promise<void> | null = null;
  /** Set once the store could not record: nothing is recorded after it. */
  failure: StoreError | undefined;
  /** Messages the server accepted that could not be recorded (the next run sends them again). */
  unrecordedSent = 0;

  constructor(
    private readonly editions: Pick<EditionStore, 'record'>,
    private readonly editionId: string,
    private readonly claimant: string,
    private readonly clock: () => Date,
  ) {}

  /**
   * Resolves true once the answer is committed, false when it was not: the
   * claimant no longer held the delivery, or the store failed (see failure).
   */
  record(answer: Answer): Promise<boolean> {
    if (this.failure) return Promise.resolve(this.lost(answer));
    return new Promise((done, fail) => {
      this.waiting.push({ answer, done, fail });
      this.flushing ??= this.flush();
    });
  }

  /** Waits until every answer handed over so far is committed (or failed). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private lost(answer: Answer): false {
    if (answer.outcome.state === 'sent') this.unrecordedSent++;
    return false;
  }

  private async flush(): Promise<void> {
    // Let the answers that arrive in this turn of the event loop join the first transaction.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        let recorded: Set<string>;
        try {
          recorded = await this.editions.record(this.editionId, this.claimant, batch.map((w) => w.answer), this.clock());
        } catch (err) {
          if (!(err instanceof StoreError)) {
            for (const w of batch) w.fail(err);
            continue;
          }
          this.failure = err;
          for (const w of [...batch, ...this.waiting]) w.done(this.lost(w.answer));
          this.waiting = [];
          return;
        }
        for (const w of batch) w.done(recorded.has(w.answer.subscriberId));
      }
    } finally {
      this.flushing = null;
    }
  }
}
