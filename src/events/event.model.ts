import type { Connection, Model } from 'mongoose';
import { defineCollection } from '../shared/define-collection';
import type { EventDoc, EventDraft, EventSubject } from './event-types';

/**
 * The event log's collections. Drafts are what producers write (one insert beside their data
 * write); the sequencer moves them into `events` in order, a claimed range at a time. Nothing
 * here needs a multi-document transaction: every step is a single-document atomic write that a
 * crashed sequencer's successor can finish or repeat.
 */
export interface EventClaimDoc {
  _id: string; // `${orgId}|${seqBefore}`: inserting it reserves seq seqBefore+1 .. seqBefore+eventIds.length
  orgId: string;
  seqBefore: number;
  eventIds: string[];
  createdAt: Date;
}

/** The organization's committed position: every event up to `seq` is in `events` and visible. */
export interface EventCounterDoc {
  _id: string; // orgId
  seq: number;
  /** The lowest seq retention has kept (pages before it start here instead of scanning empty blocks). */
  oldestSeq?: number;
  updatedAt: Date;
}

export interface WebhookSecret {
  /** The secret as shown once (`whsec_` + base64): kept, since signing needs it; never presented again. */
  secret: string;
  createdAt: Date;
  /** A rotated-out secret still signs until then (the overlap window). */
  expiresAt: Date | null;
}

export interface WebhookEndpointDoc {
  _id: string;
  orgId: string;
  url: string;
  description: string;
  /** Event types delivered; empty means every type. */
  types: string[];
  status: 'active' | 'paused' | 'disabled';
  disabledReason: string | null;
  secrets: WebhookSecret[];
  /** Since when every delivery attempt has failed (reset by any success); five days of it disables the endpoint. */
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryDoc {
  _id: string; // `${endpointId}|${eventId}` (a redelivery or replay reuses it)
  orgId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  seq: number;
  /** Per endpoint and subject: deliveries in one lane go out in seq order, lanes in parallel. */
  lane: string;
  subject: EventSubject;
  state: DeliveryState;
  attempts: number;
  firstAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface EventModels {
  drafts: Model<EventDraft>;
  events: Model<EventDoc>;
  claims: Model<EventClaimDoc>;
  counters: Model<EventCounterDoc>;
  endpoints: Model<WebhookEndpointDoc>;
  deliveries: Model<DeliveryDoc>;
}

const eventFields = {
  _id: String,
  type: String,
  orgId: String,
  directoryId: String,
  subject: { type: { type: String }, id: String },
  changeId: String,
  requestId: String,
  actor: { type: { type: String }, id: String, name: String },
  data: {},
  occurredAt: Date,
};

export function eventModels(conn: Connection): EventModels {
  return {
    drafts: defineCollection<EventDraft>(conn, 'EventDraft', 'event_drafts', {
      fields: eventFields as never,
      strict: false,
      indexes: [[{ orgId: 1 }]],
    }),
    events: defineCollection<EventDoc>(conn, 'Event', 'events', {
      fields: { ...eventFields, seq: Number, block: Number } as never,
      strict: false,
      indexes: [[{ orgId: 1, block: 1, seq: 1 }], [{ orgId: 1, seq: 1 }], [{ occurredAt: 1 }]],
    }),
    claims: defineCollection<EventClaimDoc>(conn, 'EventClaim', 'event_claims', {
      fields: { _id: String, orgId: String, seqBefore: Number, eventIds: [String], createdAt: Date } as never,
      indexes: [[{ createdAt: 1 }]],
    }),
    counters: defineCollection<EventCounterDoc>(conn, 'EventCounter', 'event_counters', {
      fields: { _id: String, seq: Number, oldestSeq: Number, updatedAt: Date } as never,
    }),
    endpoints: defineCollection<WebhookEndpointDoc>(conn, 'WebhookEndpoint', 'webhook_endpoints', {
      fields: {
        _id: String,
        orgId: String,
        url: String,
        description: String,
        types: [String],
        status: String,
        disabledReason: String,
        secrets: [{ _id: false, secret: String, createdAt: Date, expiresAt: Date }],
        failingSince: Date,
        createdAt: Date,
        updatedAt: Date,
      } as never,
      indexes: [[{ orgId: 1 }]],
    }),
    deliveries: defineCollection<DeliveryDoc>(conn, 'WebhookDelivery', 'webhook_deliveries', {
      fields: {
        _id: String,
        orgId: String,
        endpointId: String,
        eventId: String,
        eventType: String,
        seq: Number,
        lane: String,
        subject: { type: { type: String }, id: String },
        state: String,
        attempts: Number,
        firstAttemptAt: Date,
        nextAttemptAt: Date,
        lastAttemptAt: Date,
        lastStatus: Number,
        lastError: String,
        lastLatencyMs: Number,
        deliveredAt: Date,
        createdAt: Date,
      } as never,
      indexes: [[{ endpointId: 1, seq: -1 }], [{ lane: 1, state: 1 }], [{ state: 1, nextAttemptAt: 1 }], [{ createdAt: 1 }]],
    }),
  };
}
