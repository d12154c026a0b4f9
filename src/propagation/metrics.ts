import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per container, so tests and the worker process never register a metric twice. */
export function createMetrics(deps: { queueDepth: () => Promise<Record<string, number>>; cacheReads: () => Record<string, number> }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const propagationLag = new Histogram({
    name: 'scim_sync_propagation_lag_seconds',
    help: 'Time from a change being accepted to its access being applied',
    labelNames: ['kind'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'scim_sync_jobs_total',
    help: 'Propagation jobs processed, by job name and outcome',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const scimRequests = new Counter({
    name: 'scim_sync_scim_requests_total',
    help: 'SCIM requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  new Gauge({
    name: 'scim_sync_queue_jobs',
    help: 'Propagation queue depth by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const depth = await deps.queueDepth().catch(() => ({}) as Record<string, number>);
      for (const [state, n] of Object.entries(depth)) this.set({ state }, n);
    },
  });

  new Counter({
    name: 'scim_sync_access_cache_reads_total',
    help: 'Cached reads on the access-check path: hit, miss (loaded from MongoDB) or bypass (Redis unreachable)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [result, n] of Object.entries(deps.cacheReads())) this.inc({ result }, n);
    },
  });

  return {
    registry,
    observeLag: (kind: string, lagMs: number) => propagationLag.observe({ kind }, lagMs / 1000),
    countJob: (job: string, outcome: string) => jobs.inc({ job, outcome }),
    countScimRequest: (method: string, route: string, status: number) => scimRequests.inc({ method, route, status: String(status) }),
  };
}
