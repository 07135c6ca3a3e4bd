// `broadsheet schedules` as a child process: each schedule's next three runs in its zone.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('broadsheet schedules', () => {
  it('prints the next three runs of each schedule in its time zone', async () => {
    const dir = await tempDir('broadsheet-schedules-');
    await writeFile(
      path.join(dir, 'broadsheet.config.yaml'),
      ['schedules:', '  daily:', '    name: 每日要闻', '    cron: "0 8 * * *"', '    periodHours: 24', '  berlin:', '    name: Berlin', '    cron: "0 7 * * *"', '    periodHours: 24', '    timeZone: Europe/Berlin', ''].join('\n'),
    );
    const r = await runCli(['schedules', '--now', '2026-03-27T23:59:30Z'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'daily (每日要闻): "0 8 * * *" in Asia/Shanghai; catch-up within 6 h',
        '  2026-03-28 Sat 08:00 +08:00  (2026-03-28T00:00:00.000Z)',
        '  2026-03-29 Sun 08:00 +08:00  (2026-03-29T00:00:00.000Z)',
        '  2026-03-30 Mon 08:00 +08:00  (2026-03-30T00:00:00.000Z)',
        'berlin (Berlin): "0 7 * * *" in Europe/Berlin; catch-up within 6 h',
        '  2026-03-28 Sat 07:00 +01:00  (2026-03-28T06:00:00.000Z)',
        '  2026-03-29 Sun 07:00 +02:00  (2026-03-29T05:00:00.000Z)',
        '  2026-03-30 Mon 07:00 +02:00  (2026-03-30T05:00:00.000Z)',
        '',
      ].join('\n'),
    );
  });

  it('names the field of a bad time zone', async () => {
    const dir = await tempDir('broadsheet-schedules-');
    await writeFile(path.join(dir, 'broadsheet.config.yaml'), ['schedules:', '  daily:', '    name: a', '    cron: "0 8 * * *"', '    periodHours: 24', '    timeZone: Mars/Olympus', ''].join('\n'));
    const r = await runCli(['schedules'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('broadsheet.config.yaml:6: error: schedules.daily.timeZone: must be an IANA time zone such as Asia/Shanghai');
  });
});
