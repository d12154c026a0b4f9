// STUB: the Events API and webhook endpoint routes (owned by the events-API work).
import type { RouteKit } from './router';
import type { EventLog } from '../events/event-log';
import type { EventModels } from '../events/event.model';
import type { EventRecorder } from '../events/event-recorder';
import type { WebhookDeliveries } from '../events/webhook-deliveries';
import type { AuditLog } from '../audit/audit.service';
import type { Config } from '../config';

export interface EventRoutesDeps {
  eventLog: EventLog;
  models: EventModels;
  recorder: EventRecorder;
  webhooks: WebhookDeliveries;
  audit: AuditLog;
  config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE_URLS'>;
}

export function eventRoutes(deps: EventRoutesDeps): (kit: RouteKit) => void {
  return (kit) => {
    void deps;
    void kit;
  };
}
