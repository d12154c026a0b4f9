/** The events we send, and the envelope every one of them carries (docs/events.md lists each type's `data`). */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members.added',
  'group.members.removed',
  'binding.created',
  'binding.deleted',
  'access.changed',
  'access.revoked',
  'directory.deprovisioning_held',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export type SubjectType = 'user' | 'group' | 'binding' | 'serviceAccount' | 'webhook' | 'directory';

export interface EventSubject {
  type: SubjectType;
  id: string;
}

/** Who caused it: the IdP through a directory token, an admin key, or the service itself (propagation). */
export interface EventActor {
  type: 'directory' | 'adminKey' | 'system';
  id: string;
  name?: string;
}

/**
 * An event as a producer writes it (a draft): everything but its place in the organization's order.
 * `id` is deterministic (event-ids.ts), so a retried or re-swept write never yields a second event.
 */
export interface EventDraft {
  _id: string;
  type: EventType;
  orgId: string;
  directoryId?: string;
  subject: EventSubject;
  changeId: string | null;
  requestId: string | null;
  actor: EventActor;
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** A sequenced event: `seq` increases by one per event within an organization, without gaps. */
export interface EventDoc extends EventDraft {
  seq: number;
  /** seq / EVENT_BLOCK_SIZE, rounded down: pages are read block by block (one equality match each). */
  block: number;
}

/** How many sequenced events share one `block` value. */
export const EVENT_BLOCK_SIZE = 100;

/** The JSON every consumer sees (API and webhook body alike). */
export function presentEvent(e: EventDoc): Record<string, unknown> {
  return {
    id: e._id,
    type: e.type,
    seq: e.seq,
    occurredAt: new Date(e.occurredAt).toISOString(),
    orgId: e.orgId,
    ...(e.directoryId ? { directoryId: e.directoryId } : {}),
    subject: e.subject,
    changeId: e.changeId,
    requestId: e.requestId,
    actor: e.actor,
    data: e.data,
  };
}
