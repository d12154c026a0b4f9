import type { DeliveryCleanup } from './delivery-cleanup';
import { randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import type { AuditActor, AuditLog } from '../audit/audit.service';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import type { DeliveryDoc, WebhookEndpointDoc, WebhookSecret } from './event.model';
import { eventId } from './event-ids';
import type { EventRecorder } from './event-recorder';
import type { EventDraft } from './event-types';
import { webhookUrlProblem } from './url-safety';
import type { WebhookDeliveries } from './webhook-deliveries';

/** Who asked (an admin key), for the audit log and the test event's actor. */
export interface EndpointWriteContext {
  orgId: string;
  actor: AuditActor;
  requestId?: string;
}

export interface EndpointCreate {
  url: string;
  types?: string[];
  description?: string;
}

export interface EndpointUpdate {
  url?: string;
  types?: string[];
  description?: string;
  status?: 'active' | 'paused';
}

/** An endpoint with the one secret just made: the only answer that ever carries a secret. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpointDoc;
  secret: string;
}

/** Every org's webhooks are read on each fan-out, so their number is bounded. */
export const MAX_ENDPOINTS_PER_ORG = 50;
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 7 * 86_400;

/** Concurrent writes to one endpoint (a rotation racing a PATCH) are retried this often on its `updatedAt`. */
const MAX_WRITE_TRIES = 5;

export type WebhookEndpoints = ReturnType<typeof createWebhookEndpoints>;

/**
 * The webhook endpoints of an organization: creation with a signing secret shown once, changes,
 * rotation with an overlap, test events, and the delivery operations (listing, redelivery, replay)
 * gated on the endpoint being the caller's. Every lookup is by organization and id, so another
 * organization's endpoint is simply not found. Every write is audited, never with a secret.
 */
export function createWebhookEndpoints(deps: {
  endpoints: Model<WebhookEndpointDoc>;
  recorder: Pick<EventRecorder, 'record'>;
  webhooks: Pick<WebhookDeliveries, 'resume' | 'list' | 'redeliver' | 'replay'>;
  audit: Pick<AuditLog, 'record'>;
  allowPrivateUrls: boolean;
  /** A deleted endpoint's deliveries go with it. */
  cleanup?: Pick<DeliveryCleanup, 'forEndpoint'>;
  now?: () => Date;
}) {
  const { endpoints } = deps;
  const now = deps.now ?? (() => new Date());

  function checkUrl(url: string): void {
    const problem = webhookUrlProblem(url, { allowPrivate: deps.allowPrivateUrls });
    if (problem) throw new InvalidRequest(problem);
  }

  async function audited(ctx: EndpointWriteContext, action: string, ep: Pick<WebhookEndpointDoc, '_id' | 'url'>, summary: Record<string, unknown>) {
    await deps.audit.record({ orgId: ctx.orgId, actor: ctx.actor, action, target: { type: 'webhook', id: ep._id, display: ep.url }, summary, requestId: ctx.requestId });
  }

  async function create(ctx: EndpointWriteContext, input: EndpointCreate): Promise<EndpointWithSecret> {
    checkUrl(input.url);
    // Counted before the insert, so two racing creations can pass the cap by one: it bounds cost, not a contract.
    if ((await endpoints.countDocuments({ orgId: ctx.orgId })) >= MAX_ENDPOINTS_PER_ORG) {
      throw new Conflict('webhook', `an organization has at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints`);
    }
    const at = now();
    const secret = newSigningSecret();
    const doc: WebhookEndpointDoc = {
      _id: newId(),
      orgId: ctx.orgId,
      url: input.url,
      description: input.description ?? '',
      types: input.types ?? [],
      status: 'active',
      disabledReason: null,
      secrets: [{ secret, createdAt: at, expiresAt: null }],
      failingSince: null,
      createdAt: at,
      updatedAt: at,
    };
    await endpoints.collection.insertOne(doc as never);
    await audited(ctx, 'webhook.created', doc, { after: { url: doc.url, types: doc.types, description: doc.description } });
    return { endpoint: doc, secret };
  }

  async function list(orgId: string): Promise<WebhookEndpointDoc[]> {
    const rows = await endpoints.find({ orgId }).lean<WebhookEndpointDoc[]>();
    return rows.sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime() || a._id.localeCompare(b._id));
  }

  async function get(orgId: string, id: string): Promise<WebhookEndpointDoc> {
    const doc = await endpoints.findOne({ _id: id, orgId }).lean<WebhookEndpointDoc>();
    if (!doc) throw new NotFound('webhook');
    return doc;
  }

  /**
   * Read, compute, write only if nobody wrote in between (its `updatedAt` is unchanged), retried:
   * a rotation racing another rotation must not drop a secret either of them handed out.
   */
  async function rewrite(orgId: string, id: string, change: (doc: WebhookEndpointDoc, at: Date) => Partial<WebhookEndpointDoc>) {
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries++) {
      const before = await get(orgId, id);
      // Strictly later than what was read, so the next writer's check on `updatedAt` cannot miss this write.
      const at = new Date(Math.max(now().getTime(), new Date(before.updatedAt).getTime() + 1));
      const set = { ...change(before, at), updatedAt: at };
      const res = await endpoints.updateOne({ _id: id, orgId, updatedAt: before.updatedAt }, { $set: set });
      if (res.matchedCount === 1) return { before, after: { ...before, ...set } as WebhookEndpointDoc };
    }
    throw new Conflict('webhook', 'the webhook endpoint is being changed by another request; try again');
  }

  async function update(ctx: EndpointWriteContext, id: string, patch: EndpointUpdate): Promise<WebhookEndpointDoc> {
    if (patch.url !== undefined) checkUrl(patch.url);
    const { before, after } = await rewrite(ctx.orgId, id, (doc) => {
      const set: Partial<WebhookEndpointDoc> = {};
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.types !== undefined) set.types = patch.types;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.status !== undefined && patch.status !== doc.status) {
        set.status = patch.status;
        // Re-enabling a disabled endpoint starts it afresh: five more days of failures before it is disabled again.
        if (doc.status === 'disabled') Object.assign(set, { disabledReason: null, failingSince: null });
      }
      return set;
    });
    const changed = changedFields(before, after, ['url', 'types', 'description', 'status', 'disabledReason']);
    if (Object.keys(changed.after).length) await audited(ctx, 'webhook.updated', after, changed);
    // Deliveries left pending while paused or disabled go out now, in their lanes' order.
    if (before.status !== 'active' && after.status === 'active') await deps.webhooks.resume(ctx.orgId, id);
    return after;
  }

  async function remove(ctx: EndpointWriteContext, id: string): Promise<void> {
    const doc = await get(ctx.orgId, id);
    const res = await endpoints.deleteOne({ _id: id, orgId: ctx.orgId });
    if (res.deletedCount !== 1) throw new NotFound('webhook');
    await deps.cleanup?.forEndpoint(ctx.orgId, id);
    await audited(ctx, 'webhook.deleted', doc, { before: { url: doc.url, types: doc.types, status: doc.status } });
  }

  /**
   * A new secret signs from now on; the ones still valid keep signing until now + overlap (never
   * longer than they already would), so receivers can switch without a window of failed checks.
   */
  async function rotateSecret(ctx: EndpointWriteContext, id: string, overlapSeconds: number = DEFAULT_OVERLAP_SECONDS): Promise<EndpointWithSecret> {
    const secret = newSigningSecret();
    const { after } = await rewrite(ctx.orgId, id, (doc, at) => {
      const until = new Date(at.getTime() + overlapSeconds * 1000);
      const kept: WebhookSecret[] = doc.secrets
        .filter((s) => s.expiresAt === null || new Date(s.expiresAt).getTime() > at.getTime())
        .map((s) => ({ secret: s.secret, createdAt: s.createdAt, expiresAt: s.expiresAt && new Date(s.expiresAt) < until ? s.expiresAt : until }));
      // A zero overlap retires the old secrets at once: they are not kept at all.
      return { secrets: [{ secret, createdAt: at, expiresAt: null }, ...(overlapSeconds > 0 ? kept : [])] };
    });
    await audited(ctx, 'webhook.secret_rotated', after, { overlapSeconds, secretOverlapUntil: overlapUntil(after, now()) });
    return { endpoint: after, secret };
  }

  /** A `webhook.test` event, sequenced and delivered like any other but only to this endpoint (data.endpointId). */
  async function sendTest(ctx: EndpointWriteContext, id: string): Promise<{ eventId: string }> {
    const ep = await get(ctx.orgId, id);
    if (ep.status === 'disabled') throw new Conflict('webhook', 'the webhook endpoint is disabled; set its status to active first');
    // Keyed by the request id: a retried request (same X-Request-Id) is the same test, not a second one.
    const draft: EventDraft = {
      _id: eventId('webhook.test', ep._id, ctx.requestId || newId()),
      type: 'webhook.test',
      orgId: ctx.orgId,
      subject: { type: 'webhook', id: ep._id },
      changeId: null,
      requestId: ctx.requestId || null,
      actor: ctx.actor.type === 'adminKey' ? { type: 'adminKey', id: ctx.actor.id, ...(ctx.actor.name ? { name: ctx.actor.name } : {}) } : { type: 'system', id: ctx.actor.id },
      data: { endpointId: ep._id, message: 'a test event sent from the admin API' },
      occurredAt: now(),
    };
    await deps.recorder.record([draft]);
    await audited(ctx, 'webhook.test_sent', ep, { eventId: draft._id });
    return { eventId: draft._id };
  }

  async function deliveries(orgId: string, id: string, opts: { state?: string; limit: number; before?: number }): Promise<DeliveryDoc[]> {
    await get(orgId, id);
    return deps.webhooks.list(orgId, id, opts);
  }

  async function redeliver(ctx: EndpointWriteContext, id: string, deliveryId: string): Promise<DeliveryDoc> {
    const ep = await get(ctx.orgId, id);
    // A delivery id names its endpoint (`${endpointId}|${eventId}`): another endpoint's is not this one's.
    if (!deliveryId.startsWith(`${ep._id}|`)) throw new NotFound('delivery');
    const d = await deps.webhooks.redeliver(ctx.orgId, ep._id, deliveryId);
    await audited(ctx, 'webhook.redelivered', ep, { deliveryId, eventId: d.eventId });
    return d;
  }

  async function replay(ctx: EndpointWriteContext, id: string, window: { since: Date; until?: Date; types?: string[] }): Promise<{ queued: number }> {
    const ep = await get(ctx.orgId, id);
    const until = window.until ?? now();
    if (window.since.getTime() > until.getTime()) throw new InvalidRequest('since must not be after until');
    const queued = await deps.webhooks.replay(ctx.orgId, ep._id, { since: window.since, until, types: window.types?.length ? window.types : null });
    await audited(ctx, 'webhook.replayed', ep, { since: window.since.toISOString(), until: until.toISOString(), types: window.types ?? [], queued });
    return { queued };
  }

  return { create, list, get, update, remove, rotateSecret, sendTest, deliveries, redeliver, replay };
}

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks form (the part after the prefix is the HMAC key). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** When the last rotated-out secret stops signing, or null when only the current one signs. */
export function overlapUntil(doc: Pick<WebhookEndpointDoc, 'secrets'>, at: Date): Date | null {
  const ends = doc.secrets.map((s) => (s.expiresAt ? new Date(s.expiresAt).getTime() : 0)).filter((t) => t > at.getTime());
  return ends.length ? new Date(Math.max(...ends)) : null;
}

/** When the secret now signing was made, or null when it is still the one made with the endpoint. */
export function secretRotatedAt(doc: Pick<WebhookEndpointDoc, 'secrets' | 'createdAt'>): Date | null {
  const current = doc.secrets.find((s) => s.expiresAt === null) ?? doc.secrets[0];
  if (!current) return null;
  return new Date(current.createdAt).getTime() > new Date(doc.createdAt).getTime() ? new Date(current.createdAt) : null;
}

function changedFields<T extends object>(before: T, after: T, keys: Array<keyof T>) {
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const k of keys) {
    if (JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)) {
      out.before[k as string] = before[k] ?? null;
      out.after[k as string] = after[k] ?? null;
    }
  }
  return out;
}
