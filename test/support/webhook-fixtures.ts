import { randomBytes } from 'node:crypto';
import { eventId } from '../../src/events/event-ids';
import type { WebhookEndpointDoc, WebhookSecret } from '../../src/events/event.model';
import type { EventDraft, EventType, SubjectType } from '../../src/events/event-types';
import type { Harness } from './harness';

/** A signing secret as the endpoints API makes them: `whsec_` + base64 of 32 random bytes. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** An endpoint written straight into its collection (the endpoints API is tested on its own). */
export async function createEndpoint(
  h: Harness,
  orgId: string,
  url: string,
  opts: { types?: string[]; status?: WebhookEndpointDoc['status']; secrets?: WebhookSecret[] } = {},
): Promise<WebhookEndpointDoc & { secret: string }> {
  const secret = newSigningSecret();
  const now = new Date();
  const doc: WebhookEndpointDoc = {
    _id: `ep-${randomBytes(6).toString('hex')}`,
    orgId,
    url,
    description: 'test receiver',
    types: opts.types ?? [],
    status: opts.status ?? 'active',
    disabledReason: null,
    secrets: opts.secrets ?? [{ secret, createdAt: now, expiresAt: null }],
    failingSince: null,
    createdAt: now,
    updatedAt: now,
  };
  await h.c.events.models.endpoints.collection.insertOne(doc as never);
  return { ...doc, secret };
}

/**
 * Drafts about subjects, in the order given: each one's occurredAt is a millisecond after the one
 * before, so the sequencer gives them seq values in this order.
 */
export function drafts(orgId: string, items: Array<{ type?: EventType; subject: string; subjectType?: SubjectType; data?: Record<string, unknown> }>): EventDraft[] {
  const tag = randomBytes(4).toString('hex');
  const base = Date.now() - items.length - 5;
  return items.map((it, i) => ({
    _id: eventId(it.type ?? 'user.updated', orgId, it.subject, tag, i),
    type: it.type ?? 'user.updated',
    orgId,
    subject: { type: it.subjectType ?? 'user', id: it.subject },
    changeId: `chg-${tag}-${i}`,
    requestId: null,
    actor: { type: 'system', id: 'test' },
    data: { n: i, ...it.data },
    occurredAt: new Date(base + i),
  }));
}

export const newOrgId = () => `org-${randomBytes(5).toString('hex')}`;
