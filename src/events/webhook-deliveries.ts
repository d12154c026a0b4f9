// STUB: the delivery engine (owned by the webhook-delivery work). Signatures are fixed; bodies to be written.
import type { AuditLog } from '../audit/audit.service';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import type { EventLog } from './event-log';
import type { DeliveryDoc, EventModels } from './event.model';
import type { EventDoc } from './event-types';
import type { EventsQueue } from './events-queue';

export interface WebhookDeliveries {
  /** Creates (idempotently) one delivery per matching active endpoint of each event and queues them. */
  fanOut(events: EventDoc[]): Promise<void>;
  /** Runs one delivery attempt (the `deliver` job). */
  deliver(deliveryId: string, attempt: number): Promise<void>;
  /** Finds deliveries whose job was lost (Redis flushed, worker killed) and queues them again. */
  sweep(): Promise<number>;
  /** Sends one delivery again now (a new attempt, same event id). */
  redeliver(orgId: string, endpointId: string, deliveryId: string): Promise<DeliveryDoc>;
  /** Queues the endpoint's events between two times again (same ids, current secret); returns how many. */
  replay(orgId: string, endpointId: string, opts: { since: Date; until: Date; types: string[] | null }): Promise<number>;
  /** Deliveries of one endpoint, newest first. */
  list(orgId: string, endpointId: string, opts: { state?: string; limit: number; before?: number }): Promise<DeliveryDoc[]>;
  /** Queues pending deliveries of an endpoint that was resumed. */
  resume(orgId: string, endpointId: string): Promise<void>;
}

export function createWebhookDeliveries(deps: {
  models: EventModels;
  queue: EventsQueue;
  eventLog: EventLog;
  audit: Pick<AuditLog, 'record'>;
  config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE_URLS' | 'WEBHOOK_TIMEOUT_MS'>;
  log: Logger;
}): WebhookDeliveries {
  void deps;
  return {
    fanOut: async () => undefined,
    deliver: async () => undefined,
    sweep: async () => 0,
    redeliver: async () => {
      throw new Error('not built yet');
    },
    replay: async () => 0,
    list: async () => [],
    resume: async () => undefined,
  };
}
