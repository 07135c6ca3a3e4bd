import type { Command } from 'commander';
import { type Io, parseNow, settingsFor } from '../io.ts';

export function registerSchedules(program: Command, io: Io): void {
  program
    .command('schedules')
    .description("each digest schedule with its next three runs in its time zone (what `serve` will send when)")
    .option('--now <iso>', 'count from this moment instead of now')
    .option('--json', 'print JSON')
    .action(async (opts: { now?: string; json?: boolean }, cmd: Command) => {
      const { config } = await settingsFor(io, cmd);
      const { timingsOf, nextRuns, localTime } = await import('../../schedule/plan.ts');
      const now = parseNow(opts.now, io);
      const rows = timingsOf(config).map((t) => ({ ...t, next: nextRuns(t, now, 3) }));
      if (opts.json) {
        io.stdout(JSON.stringify(rows.map((r) => ({ ...r, next: r.next.map((d) => d.toISOString()) })), null, 2) + '\n');
        return;
      }
      for (const r of rows) {
        io.stdout(`${r.id} (${r.name}): "${r.cron}" in ${r.timeZone}; catch-up within ${r.catchUpHours} h\n`);
        for (const d of r.next) io.stdout(`  ${localTime(d, r.timeZone)}  (${d.toISOString()})\n`);
        if (r.next.length === 0) io.stdout('  never\n');
      }
    });
}
