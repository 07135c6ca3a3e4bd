// What every request handler of the service sees beside the request.
import type { HttpBindings } from '@hono/node-server';

export type Env = {
  Bindings: HttpBindings;
  Variables: {
    /** The client's address (limits.ts clientAddress). */
    client: string;
    /** The route's name for metrics and logs: a site path, or what kind of file was served. */
    route: string;
  };
};
