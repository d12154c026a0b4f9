import type { RouteKit } from './router';
import type { EventLog } from '../events/event-log';
import type { EventModels } from '../events/event.model';
import type { EventRecorder } from '../events/event-recorder';
import { presentEvent } from '../events/event-types';
import type { WebhookDeliveries } from '../events/webhook-deliveries';
import type { DeliveryCleanup } from '../events/delivery-cleanup';
import { createWebhookEndpoints } from '../events/webhook-endpoints.service';
import type { AuditLog } from '../audit/audit.service';
import type { Config } from '../config';
import { NotFound } from '../shared/errors';
import { encodeCursor, eventListQuery } from './event-inputs';
import { webhookRoutes } from './webhook.routes';

export interface EventRoutesDeps {
  eventLog: EventLog;
  models: EventModels;
  recorder: EventRecorder;
  webhooks: WebhookDeliveries;
  audit: AuditLog;
  config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE_URLS'>;
  cleanup?: DeliveryCleanup;
}

/**
 * The Events API (reading the organization's log in seq order) and the webhook endpoints API.
 * Both read with 'api.webhook.read'; webhook writes need 'api.webhook.write'.
 */
export function eventRoutes(deps: EventRoutesDeps): (kit: RouteKit) => void {
  const endpoints = createWebhookEndpoints({
    endpoints: deps.models.endpoints,
    recorder: deps.recorder,
    webhooks: deps.webhooks,
    audit: deps.audit,
    allowPrivateUrls: deps.config.WEBHOOK_ALLOW_PRIVATE_URLS,
    ...(deps.cleanup ? { cleanup: deps.cleanup } : {}),
  });

  return (kit) => {
    const { router, route, orgOf, param } = kit;

    // `next` is where the page ended (events filtered out by types or subject included), so paging
    // with it sees every event once; the log only shows what is committed, so a cursor never passes
    // an event that a slower writer is still adding below it.
    router.get('/orgs/:org/events', route('api.webhook.read', async (_req, res, q) => {
      const page = await deps.eventLog.list(orgOf(res), { after: q.after ?? 0, limit: q.limit, ...(q.types?.length ? { types: q.types } : {}), ...(q.subject ? { subject: q.subject } : {}) });
      return { events: page.events.map(presentEvent), next: encodeCursor(page.next), hasMore: !page.atEnd };
    }, eventListQuery));

    router.get('/orgs/:org/events/:id', route('api.webhook.read', async (req, res) => {
      const e = await deps.eventLog.get(orgOf(res), param(req, 'id'));
      if (!e) throw new NotFound('event');
      return presentEvent(e);
    }));

    webhookRoutes(kit, endpoints);
  };
}
