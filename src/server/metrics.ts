// The service's Prometheus metrics (prom-client), on a registry of its own
// so two servers in one process (tests) never share counters.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  builds: Counter<'result'>;
  sourcesRejected: Gauge;
  diagnostics: Gauge<'severity'>;
  editions: Counter<'schedule'>;
  deliveries: Counter<'state'>;
  deliveriesPending: Gauge<'schedule'>;
  sendRate: Gauge<'schedule'>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'broadsheet_' });
  const registers = [registry];
  return {
    registry,
    builds: new Counter({ name: 'broadsheet_builds_total', help: 'Builds of the site, by result (ok, rejected: a source was rejected, failed).', labelNames: ['result'], registers }),
    sourcesRejected: new Gauge({ name: 'broadsheet_sources_rejected', help: 'Sources the last build rejected.', registers }),
    diagnostics: new Gauge({ name: 'broadsheet_build_diagnostics', help: 'Diagnostics of the last build, by severity.', labelNames: ['severity'], registers }),
    editions: new Counter({ name: 'broadsheet_editions_total', help: 'Editions frozen by this process, by schedule.', labelNames: ['schedule'], registers }),
    deliveries: new Counter({ name: 'broadsheet_deliveries_total', help: 'Deliveries finished by this process, by state (sent, failed).', labelNames: ['state'], registers }),
    deliveriesPending: new Gauge({
      name: 'broadsheet_deliveries_pending',
      help: 'Deliveries still queued or sending in the edition last worked on, by schedule.',
      labelNames: ['schedule'],
      registers,
    }),
    sendRate: new Gauge({ name: 'broadsheet_send_rate', help: 'Messages per second of the current or last send, by schedule.', labelNames: ['schedule'], registers }),
    httpRequests: new Counter({ name: 'broadsheet_http_requests_total', help: 'HTTP requests, by route, method and status.', labelNames: ['route', 'method', 'status'], registers }),
  };
}
