import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeprovisionGuardModels } from './deprovision-guard.model';

/**
 * The guard's figures at /metrics: deprovisions held since start (per process), and users held now
 * (counted from MongoDB at scrape time, so every instance reports the same, right after a restart too).
 */
export function createDeprovisionGuardMetrics(deps: { models: Pick<DeprovisionGuardModels, 'holds'> }) {
  const held = new Counter({
    name: 'scim_sync_deprovisions_held_total',
    help: 'Deactivations and deletions held by the mass-deprovisioning guard, by kind',
    labelNames: ['kind'],
    registers: [],
  });
  const staged = new Gauge({
    name: 'scim_sync_deprovision_staged_users',
    help: 'Users whose deprovisioning is held for an admin to approve or discard',
    registers: [],
    async collect() {
      this.set(await deps.models.holds.estimatedDocumentCount().catch(() => 0));
    },
  });
  return {
    countHeld: (kind: string) => held.inc({ kind }),
    register(registry: Registry) {
      registry.registerMetric(held);
      registry.registerMetric(staged);
    },
  };
}
