import { deliveriesQuery, eventListQuery, replay, rotateSecret, webhookCreate, webhookUpdate } from '../event-inputs';
import { anyJson, arrayOf, dateTime, enumOf, int, nullable, num, obj, open, str, strings, type RouteDoc } from './schema-kit';

// The Events API and webhook endpoints (src/admin/events.routes.ts, webhook.routes.ts; docs/events.md).

const READ = 'api.webhook.read';
const WRITE = 'api.webhook.write';

const event = open(
  { id: str, type: str, seq: int, occurredAt: dateTime, orgId: str, directoryId: str, subject: open({ type: str, id: str }), changeId: anyJson, requestId: anyJson, actor: anyJson, data: anyJson },
  ['directoryId', 'changeId', 'requestId', 'actor', 'data'],
);

const endpointProps = {
  id: str,
  url: str,
  description: str,
  types: strings,
  status: enumOf('active', 'paused', 'disabled'),
  disabledReason: nullable(str),
  createdAt: dateTime,
  updatedAt: dateTime,
  secretRotatedAt: nullable(dateTime),
  /** Until when the previous signing secret still signs, after a rotation with overlap. */
  secretOverlapUntil: nullable(dateTime),
};
const endpoint = obj(endpointProps);
// The signing secret is in the body only when it is made: at creation and at a rotation.
const endpointWithSecret = obj({ ...endpointProps, secret: str });

const delivery = obj({
  id: str,
  eventId: str,
  eventType: str,
  seq: int,
  subject: anyJson,
  state: enumOf('pending', 'delivered', 'failed'),
  attempts: int,
  firstAttemptAt: nullable(dateTime),
  lastAttemptAt: nullable(dateTime),
  nextAttemptAt: nullable(dateTime),
  lastStatus: nullable(int),
  lastError: nullable(str),
  lastLatencyMs: nullable(num),
  deliveredAt: nullable(dateTime),
  createdAt: dateTime,
});

const hook = '/orgs/:org/webhooks/:id';

export const eventsRoutes: RouteDoc[] = [
  { tag: 'Events', method: 'get', path: '/orgs/:org/events', summary: "The organization's events in seq order, paged by the opaque `next` cursor", permission: READ, query: eventListQuery,
    queryNotes: { after: 'The `next` of the previous page (opaque)', types: 'Event types, comma-separated', subject: '<type>:<id>, e.g. user:123' }, status: 200, response: obj({ events: arrayOf(event), next: str, hasMore: { type: 'boolean' } }) },
  { tag: 'Events', method: 'get', path: '/orgs/:org/events/:id', summary: 'One event', permission: READ, status: 200, response: event },

  { tag: 'Webhooks', method: 'post', path: '/orgs/:org/webhooks', summary: 'Create a webhook endpoint (its signing secret is shown only here)', permission: WRITE, body: webhookCreate, status: 201, response: endpointWithSecret },
  { tag: 'Webhooks', method: 'get', path: '/orgs/:org/webhooks', summary: 'List webhook endpoints', permission: READ, status: 200, response: obj({ webhooks: arrayOf(endpoint) }) },
  { tag: 'Webhooks', method: 'get', path: hook, summary: 'Read a webhook endpoint', permission: READ, status: 200, response: endpoint },
  { tag: 'Webhooks', method: 'patch', path: hook, summary: 'Change, pause or re-activate an endpoint', permission: WRITE, body: webhookUpdate, status: 200, response: endpoint },
  { tag: 'Webhooks', method: 'delete', path: hook, summary: 'Delete an endpoint', permission: WRITE, status: 204 },
  { tag: 'Webhooks', method: 'post', path: `${hook}/rotate-secret`, summary: 'Rotate the signing secret (the old one may sign on for overlapSeconds)', permission: WRITE, body: rotateSecret, status: 200, response: endpointWithSecret },
  { tag: 'Webhooks', method: 'post', path: `${hook}/test`, summary: 'Send a webhook.test event to this endpoint', permission: WRITE, status: 202, response: obj({ eventId: str }) },
  { tag: 'Webhooks', method: 'get', path: `${hook}/deliveries`, summary: "An endpoint's deliveries, newest first", permission: READ, query: deliveriesQuery, queryNotes: { before: 'The `next` of the previous page' }, status: 200, response: obj({ deliveries: arrayOf(delivery), next: nullable(int) }) },
  { tag: 'Webhooks', method: 'post', path: `${hook}/deliveries/:deliveryId/redeliver`, summary: 'Deliver one event again', permission: WRITE, status: 202, response: delivery },
  { tag: 'Webhooks', method: 'post', path: `${hook}/replay`, summary: 'Deliver again every event of a time window', permission: WRITE, body: replay, status: 202, response: obj({ queued: int }) },
];
