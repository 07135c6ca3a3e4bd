// How subscribers appear in `list --json` and `export`: every field, in the
// model's order, under snake_case names (the public CSV format).
import { SUBSCRIBER_FIELDS, type Subscriber } from '../../../model.ts';

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The export's header: email, name, schedule, status, origin, created_at, … */
export const COLUMNS = SUBSCRIBER_FIELDS.map(snake);

export function recordOf(s: Subscriber): Record<string, string | null> {
  return Object.fromEntries(SUBSCRIBER_FIELDS.map((f) => [snake(f), s[f]]));
}
