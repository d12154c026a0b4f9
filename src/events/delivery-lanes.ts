import type { DeliveryDoc, WebhookEndpointDoc } from './event.model';
import type { EventDoc } from './event-types';
import type { SendOutcome } from './webhook-sender';

// The pure parts of delivery: which endpoint gets an event, the delivery it makes, lanes, and what a failure says.

/** How much of a receiver's answer is kept in lastError. */
const ERROR_BODY_CHARS = 500;

/** The lowest-seq pending delivery of each lane among `rows`. */
export function laneHeads<T extends Pick<DeliveryDoc, 'lane' | 'seq'>>(rows: T[]): T[] {
  const heads = new Map<string, T>();
  for (const r of rows) {
    const h = heads.get(r.lane);
    if (!h || r.seq < h.seq) heads.set(r.lane, r);
  }
  return [...heads.values()];
}

/** Whether an endpoint gets this event: its type filter, and test events only where they were sent. */
export function wants(endpoint: WebhookEndpointDoc, e: EventDoc): boolean {
  if (e.orgId !== endpoint.orgId) return false;
  if (e.type === 'webhook.test') return (e.data as { endpointId?: string })?.endpointId === endpoint._id;
  return !endpoint.types?.length || endpoint.types.includes(e.type);
}

export function newDelivery(endpoint: WebhookEndpointDoc, e: EventDoc, at: Date): DeliveryDoc {
  return {
    _id: `${endpoint._id}|${e._id}`,
    orgId: e.orgId,
    endpointId: endpoint._id,
    eventId: e._id,
    eventType: e.type,
    seq: e.seq,
    lane: `${endpoint._id}|${e.subject.type}:${e.subject.id}`,
    subject: e.subject,
    state: 'pending',
    attempts: 0,
    firstAttemptAt: null,
    nextAttemptAt: null,
    lastAttemptAt: null,
    lastStatus: null,
    lastError: null,
    lastLatencyMs: null,
    deliveredAt: null,
    createdAt: at,
  };
}

/** lastError: what the receiver said, or why nothing was said (never our request, headers or secrets). */
export function describeFailure(o: SendOutcome): string {
  if (o.kind === 'error') return o.error;
  const head = o.status >= 300 && o.status < 400 ? `HTTP ${o.status} (redirects are not followed)` : `HTTP ${o.status}`;
  const body = o.body.trim().slice(0, ERROR_BODY_CHARS);
  return body ? `${head}: ${body}` : head;
}
