import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventModels } from './event.model';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'gone';

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;

/**
 * Webhook delivery figures at /metrics. The instruments are made here and joined to the process's
 * registry by the container (the registry is created after the delivery engine); the oldest
 * undelivered age is computed at scrape time from the pending deliveries of active endpoints, so it
 * is right on every instance and after a restart.
 */
export function createWebhookMetrics(deps: { models: Pick<EventModels, 'deliveries' | 'endpoints'> }) {
  const deliveries = new Counter({
    name: 'scim_sync_webhook_deliveries_total',
    help: 'Webhook delivery attempts by endpoint and outcome (delivered, retrying, failed: given up, gone: 410 disabled the endpoint)',
    labelNames: ['endpoint', 'outcome'],
    registers: [],
  });
  const latency = new Histogram({
    name: 'scim_sync_webhook_delivery_latency_seconds',
    help: 'Time from sending a webhook to its answer (or the error), per attempt',
    labelNames: ['outcome'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [],
  });
  const oldest = new Gauge({
    name: 'scim_sync_webhook_oldest_undelivered_seconds',
    help: 'Age of the oldest delivery still pending to an active endpoint (0 when none)',
    registers: [],
    async collect() {
      this.set(await oldestUndeliveredAgeSeconds().catch(() => 0));
    },
  });

  async function oldestUndeliveredAgeSeconds(now = new Date()): Promise<number> {
    const { deliveries: dm, endpoints } = deps.models;
    const active = new Set((await endpoints.find({ status: 'active' }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((e) => e._id));
    if (active.size === 0) return 0;
    // Equality on state only (FerretDB v1 pushes nothing else down); the minimum is taken here.
    const rows = await dm.find({ state: 'pending' }, { endpointId: 1, createdAt: 1 }).lean<Array<{ endpointId: string; createdAt: Date }>>();
    let min = Infinity;
    for (const r of rows) if (active.has(r.endpointId)) min = Math.min(min, new Date(r.createdAt).getTime());
    return min === Infinity ? 0 : Math.max(0, (now.getTime() - min) / 1000);
  }

  return {
    observe(endpointId: string, outcome: DeliveryOutcome, latencyMs: number | null) {
      deliveries.inc({ endpoint: endpointId, outcome });
      if (latencyMs != null) latency.observe({ outcome }, latencyMs / 1000);
    },
    oldestUndeliveredAgeSeconds,
    register(registry: Registry) {
      for (const m of [deliveries, latency, oldest]) registry.registerMetric(m);
    },
  };
}
