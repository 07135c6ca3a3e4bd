// Flags that several commands share, checked once against the config.
import { type Config, defaultSchedule } from '../config/schema.ts';
import { UsageError } from '../errors.ts';

/** The schedule a command works on: `--schedule`, or the default one. */
export function scheduleOf(config: Config, schedule: string | undefined): string {
  const id = schedule ?? defaultSchedule(config);
  if (!(id in config.schedules)) {
    throw new UsageError(`--schedule: unknown schedule "${id}" (known: ${Object.keys(config.schedules).join(', ')})`);
  }
  return id;
}
