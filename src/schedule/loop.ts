// The scheduler: one loop per schedule that sleeps until the next run and
// then runs it. The clock and the sleep are passed in, so tests drive it
// with a clock of their own; the server passes the real ones.
//
// A loop awaits its run before it computes the next one, so two runs of one
// schedule never overlap in this process; across processes the send lease
// does the same. Ticks that fall while a run is still going are skipped,
// not queued.
import { type ScheduleTiming, catchUpDecision, nextRun } from './plan.ts';

export type RunReason = 'cron' | 'catch-up' | 'resume';

export interface SchedulerDeps {
  timings: ScheduleTiming[];
  clock: () => Date;
  /** Waits ms, or less if the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The schedule's last run the store knows of (its newest edition), for the catch-up decision. */
  lastRun: (schedule: string) => Promise<Date | null>;
  /**
   * Whether the schedule's newest edition still has deliveries to make (a
   * process stopped in the middle): resumed at start-up, not left to the
   * next tick. Default: never.
   */
  unfinished?: (schedule: string) => Promise<boolean>;
  /** Runs one send of the schedule; the scheduler logs and survives its failures. */
  run: (schedule: string, reason: RunReason, scheduledFor: Date, signal: AbortSignal) => Promise<void>;
  log: {
    info: (obj: object, msg: string) => void;
    warn: (obj: object, msg: string) => void;
    error: (obj: object, msg: string) => void;
  };
}

export interface Scheduler {
  /** Each schedule's next run, for /healthz. */
  next(schedule: string): Date | null;
  /** Whether a run of the schedule is going on now. */
  running(schedule: string): boolean;
  /** Stops sleeping, asks a running send to finish what is in flight, and waits for it. */
  stop(): Promise<void>;
}

/** The longest single sleep: the clock is looked at again after it (suspends, clock changes). */
const MAX_SLEEP_MS = 60 * 60 * 1000;

export function startScheduler(deps: SchedulerDeps): Scheduler {
  const controller = new AbortController();
  const { signal } = controller;
  const upcoming = new Map<string, Date | null>();
  const busy = new Set<string>();

  const runOnce = async (t: ScheduleTiming, reason: RunReason, at: Date) => {
    busy.add(t.id);
    try {
      await deps.run(t.id, reason, at, signal);
    } catch (err) {
      deps.log.error({ schedule: t.id, err }, `schedule ${t.id}: the run failed`);
    } finally {
      busy.delete(t.id);
    }
  };

  const loop = async (t: ScheduleTiming) => {
    const decision = catchUpDecision(t, await deps.lastRun(t.id).catch(() => null), deps.clock());
    if (decision.kind === 'run') {
      deps.log.info({ schedule: t.id, missed: decision.missed.toISOString() }, `schedule ${t.id}: catching up the run missed at ${decision.missed.toISOString()}`);
      await runOnce(t, 'catch-up', decision.missed);
    } else if (await (deps.unfinished?.(t.id) ?? Promise.resolve(false)).catch(() => false)) {
      // An edition left half-delivered (a restart mid-send) is resumed now, not at the next tick (maybe tomorrow).
      deps.log.info({ schedule: t.id }, `schedule ${t.id}: resuming its unfinished edition`);
      await runOnce(t, 'resume', deps.clock());
    }
    if (decision.kind === 'skip') {
      deps.log.warn(
        { schedule: t.id, missed: decision.missed.toISOString(), ageHours: Math.round(decision.ageHours * 10) / 10 },
        `schedule ${t.id}: skipped the run missed at ${decision.missed.toISOString()} (older than catchUpHours ${t.catchUpHours})`,
      );
    }
    let after = deps.clock();
    while (!signal.aborted) {
      const next = nextRun(t, after);
      upcoming.set(t.id, next);
      if (next === null) return;
      for (let left = next.getTime() - deps.clock().getTime(); left > 0 && !signal.aborted; left = next.getTime() - deps.clock().getTime()) {
        await deps.sleep(Math.min(left, MAX_SLEEP_MS), signal);
      }
      if (signal.aborted) return;
      await runOnce(t, 'cron', next);
      const now = deps.clock();
      const skipped = nextRun(t, next);
      if (skipped && skipped.getTime() <= now.getTime()) {
        deps.log.warn({ schedule: t.id, at: skipped.toISOString() }, `schedule ${t.id}: the run at ${skipped.toISOString()} was skipped: the previous run was still going`);
      }
      after = new Date(Math.max(next.getTime(), now.getTime()));
    }
  };

  const loops = deps.timings.map((t) => {
    upcoming.set(t.id, nextRun(t, deps.clock()));
    return loop(t).catch((err) => deps.log.error({ schedule: t.id, err }, `schedule ${t.id}: the scheduler stopped`));
  });

  return {
    next: (id) => upcoming.get(id) ?? null,
    running: (id) => busy.has(id),
    async stop() {
      controller.abort();
      await Promise.all(loops);
    },
  };
}
