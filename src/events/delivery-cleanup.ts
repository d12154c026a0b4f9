import type { Model } from 'mongoose';
import type { IdLookup } from '../store/id-lookup';
import type { DeliveryDoc } from './event.model';

export type DeliveryCleanup = ReturnType<typeof createDeliveryCleanup>;

/**
 * Keeps webhook_deliveries from growing without end: a deleted endpoint takes its deliveries with it,
 * and finished deliveries go when their event leaves the log (retention). Pending ones are kept
 * whatever their age: they are the undelivered events an admin must still be able to see.
 * Deletes go through the store's deleteMatching (FerretDB caps one delete's documents).
 */
export function createDeliveryCleanup(deps: { deliveries: Model<DeliveryDoc>; ids: Pick<IdLookup, 'deleteMatching'>; retentionMs: number }) {
  async function forEndpoint(orgId: string, endpointId: string): Promise<number> {
    return deps.ids.deleteMatching(deps.deliveries, { orgId, endpointId });
  }

  async function purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - deps.retentionMs);
    let n = 0;
    for (const state of ['delivered', 'failed'] as const) n += await deps.ids.deleteMatching(deps.deliveries, { state, createdAt: { $lt: cutoff } });
    return n;
  }

  return { forEndpoint, purge };
}
