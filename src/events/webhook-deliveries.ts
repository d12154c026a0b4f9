import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit.service';
import type { Config } from '../config';
import { NotFound } from '../shared/errors';
import { inParallel } from '../shared/in-parallel';
import type { Logger } from '../shared/logger';
import { isDuplicateKey } from '../shared/mongo';
import type { EventLog } from './event-log';
import type { DeliveryDoc, EventModels, WebhookEndpointDoc } from './event.model';
import { presentEvent, type EventDoc } from './event-types';
import type { EventsQueue } from './events-queue';
import { createEndpointSlots } from './endpoint-slots';
import { describeFailure, laneHeads, newDelivery, wants } from './delivery-lanes';
import { deliverJobId } from './jobs';
import { nextRetryDelay, parseRetryAfter, retryPolicyOf } from './retry-schedule';
import { resolveDeliveryAddress, type Resolver } from './url-safety';
import { sendWebhook, USER_AGENT, type SendOutcome } from './webhook-sender';
import { signatureHeader, signingSecrets } from './webhook-signing';
import type { WebhookMetrics } from './webhook-metrics';

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

/** How long past its timeout a claimed attempt may still be running before the sweeper treats it as lost. */
const LEASE_MARGIN_MS = 5_000;
/** Pending deliveries one sweep looks at (the oldest lanes are what it is for; the rest waits for the next). */
const SWEEP_MAX = 50_000;
/** How long a job over an endpoint's bound waits for one of its slots before going back to the queue. */
const SLOT_WAIT_MS = 200;

type Clock = () => Date;
/** The next attempt a job should make itself, if any. */
type Next = {
  deliveryId: string;
  attempt: number;
  /** When a job goes on down its lane: the delivery as read, and the lane's later pending ones in seq order. */
  known?: DeliveryDoc;
  rest?: DeliveryDoc[];
} | null;
/** How many of one lane's deliveries one job sends back to back before it requeues the rest. */
const INLINE_PER_JOB = 50;

/**
 * The webhook delivery engine (Standard Webhooks, at least once). Rules it keeps:
 * - Lanes: deliveries of one endpoint about one subject go in seq order, one at a time; the one that
 *   ends (delivered, or failed for good) hands the lane to the next. Lanes and endpoints run in parallel.
 * - An attempt is claimed twice over, so a job that runs twice, late or beside a sweeper's copy sends
 *   at most once per attempt number: a Redis SET NX on (delivery, attempt), then `attempts` bumped under
 *   a condition. The condition alone is exact on MongoDB, but FerretDB v1 does not re-check an update's
 *   filter when it writes (two concurrent updates of `attempts: 0` both succeed), hence the Redis claim.
 * - MongoDB holds every fact; Redis only holds reminders. Whatever a lost job left pending is found by
 *   sweep(): lane heads never attempted, or whose next attempt (or running attempt's lease) is long past.
 * - One endpoint cannot starve others: attempts in flight to it are bounded per process (endpoint-slots.ts),
 *   and a job over the bound is put back in the queue instead of holding a worker slot for a slow receiver.
 */
export function createWebhookDeliveries(deps: {
  models: EventModels;
  queue: Pick<EventsQueue, 'deliver' | 'deliverMany' | 'queue'>;
  eventLog: Pick<EventLog, 'between'>;
  audit: Pick<AuditLog, 'record'>;
  config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE_URLS' | 'WEBHOOK_TIMEOUT_MS'> &
    Partial<Pick<Config, 'WEBHOOK_ENDPOINT_CONCURRENCY' | 'WEBHOOK_RETRY_DELAYS_MS' | 'WEBHOOK_RETRY_WINDOW_MS' | 'WEBHOOK_DISABLE_AFTER_MS' | 'SWEEP_GRACE_MS'>>;
  log: Logger;
  /** Where attempts are claimed (see above); without it only the database condition decides. */
  claims?: { redis: Redis; prefix: string };
  metrics?: Pick<WebhookMetrics, 'observe'>;
  /** DNS for the SSRF check (tests inject one). */
  resolve?: Resolver;
  send?: typeof sendWebhook;
  now?: Clock;
  random?: () => number;
}): WebhookDeliveries {
  const { deliveries, endpoints, events } = deps.models;
  const cfg = deps.config;
  const now: Clock = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const send = deps.send ?? sendWebhook;
  const policy = retryPolicyOf({ WEBHOOK_RETRY_DELAYS_MS: cfg.WEBHOOK_RETRY_DELAYS_MS ?? '', WEBHOOK_RETRY_WINDOW_MS: cfg.WEBHOOK_RETRY_WINDOW_MS ?? 3 * 86_400_000 });
  const disableAfterMs = cfg.WEBHOOK_DISABLE_AFTER_MS ?? 5 * 86_400_000;
  const perEndpoint = cfg.WEBHOOK_ENDPOINT_CONCURRENCY ?? 4;
  const graceMs = cfg.SWEEP_GRACE_MS ?? 5_000;
  const slots = createEndpointSlots(perEndpoint);
  let lastSweepAt = 0;

  /** Long enough that a copy of a job that read the delivery before this attempt was recorded finds the claim. */
  const claimTtlMs = Math.max(600_000, 2 * (cfg.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS));

  /** Whether this caller is the first to ask for `what` (an attempt, an endpoint's disabling). */
  async function claimOnce(what: string): Promise<boolean> {
    if (!deps.claims) return true;
    try {
      return (await deps.claims.redis.set(`${deps.claims.prefix}:webhooks:${what}`, '1', 'PX', claimTtlMs, 'NX')) === 'OK';
    } catch {
      return true; // Redis not answering: the database condition decides (exact on MongoDB)
    }
  }

  // ---- queueing -------------------------------------------------------------------------------

  /**
   * Queues attempts under job ids of their own (`tag`): a hand-off, a sweep or a retry after the
   * per-endpoint bound must not be swallowed by the id of a job still running or kept as failed.
   * Copies are harmless: the attempt claim lets one of them send. A queue that does not answer is
   * logged; the delivery is durable and the sweeper queues it again.
   */
  async function kick(items: Array<{ deliveryId: string; attempt: number; delayMs?: number }>, tag: string): Promise<void> {
    if (items.length === 0) return;
    try {
      await deps.queue.queue.addBulk(
        items.map((i) => ({
          name: 'deliver',
          data: { deliveryId: i.deliveryId, attempt: i.attempt },
          opts: { jobId: `${deliverJobId(i.deliveryId, i.attempt)}-${tag}`, delay: Math.max(0, Math.round(i.delayMs ?? 0)), removeOnComplete: true, removeOnFail: { count: 10_000 }, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
        })),
      );
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, deliveries: items.length }, 'could not queue webhook deliveries; the sweeper will');
    }
  }

  /** Queues the head of every lane of an endpoint that has pending deliveries (resume, replay). */
  async function queueLaneHeads(endpointId: string, tag: string): Promise<number> {
    const rows = await deliveries.find({ endpointId, state: 'pending' }, { _id: 1, lane: 1, seq: 1, attempts: 1 }).lean<Array<Pick<DeliveryDoc, '_id' | 'lane' | 'seq' | 'attempts'>>>();
    const heads = laneHeads(rows);
    await kick(heads.map((h) => ({ deliveryId: h._id, attempt: h.attempts + 1 })), tag);
    return heads.length;
  }

  /** When a delivery ended, the next one of its lane goes (it was waiting for this one). */
  /**
   * `inline`: the caller (a job that just finished this lane's head) goes on with the next one itself
   * when it is due now, instead of a queue round trip per event: a burst about one subject (an IdP
   * pushing members into one group) is sent back to back. Returns what the caller should send next.
   */
  async function handOff(d: Pick<DeliveryDoc, '_id' | 'lane'>, inline = false, rest: DeliveryDoc[] = []): Promise<Next> {
    // The lane as read when this job last looked (only while going on inline), else read now: a lane
    // hundreds deep is then read once per INLINE_PER_JOB deliveries, not once per delivery.
    const pending = inline && rest.length ? rest : (await deliveries.find({ lane: d.lane, state: 'pending' }).lean<DeliveryDoc[]>()).filter((r) => r._id !== d._id).sort((a, b) => a.seq - b.seq);
    const [next] = pending;
    if (!next) return null;
    // One waiting on its own backoff (it was queued behind a replayed or redelivered event) keeps it.
    const waitMs = next.attempts > 0 && next.nextAttemptAt ? new Date(next.nextAttemptAt).getTime() - now().getTime() : 0;
    if (inline && waitMs <= 0) return { deliveryId: next._id, attempt: next.attempts + 1, known: next, rest: pending.slice(1) };
    await kick([{ deliveryId: next._id, attempt: next.attempts + 1, delayMs: waitMs }], 'h');
    return null;
  }

  // ---- fan-out --------------------------------------------------------------------------------

  /** Inserts what is not there yet; a delivery already made (a repeated fan-out) is the same one. */
  async function insertNew(docs: DeliveryDoc[]): Promise<void> {
    if (docs.length === 0) return;
    try {
      await deliveries.collection.insertMany(docs as never[], { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async function fanOut(evs: EventDoc[]): Promise<void> {
    const byOrg = new Map<string, EventDoc[]>();
    for (const e of evs) byOrg.set(e.orgId, [...(byOrg.get(e.orgId) ?? []), e]);
    const at = now();
    for (const [orgId, orgEvents] of byOrg) {
      // Paused endpoints collect pending deliveries too: they go out, in order, on resume.
      const targets = (await endpoints.find({ orgId }).lean<WebhookEndpointDoc[]>()).filter((ep) => ep.status === 'active' || ep.status === 'paused');
      if (targets.length === 0) continue;
      const docs = orgEvents.flatMap((e) => targets.filter((ep) => wants(ep, e)).map((ep) => newDelivery(ep, e, at)));
      await insertNew(docs);
      const active = new Set(targets.filter((ep) => ep.status === 'active').map((ep) => ep._id));
      // Only the first of each lane in this batch: the rest are handed the lane in turn.
      const heads = laneHeads(docs.filter((d) => active.has(d.endpointId)));
      try {
        await deps.queue.deliverMany(heads.map((d) => ({ deliveryId: d._id, attempt: 1 })));
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, orgId, deliveries: heads.length }, 'could not queue webhook deliveries; the sweeper will');
      }
    }
  }

  // ---- one attempt ----------------------------------------------------------------------------

  async function deliver(deliveryId: string, attempt: number): Promise<void> {
    const endpointId = deliveryId.slice(0, deliveryId.indexOf('|'));
    const release = await slots.acquire(endpointId, SLOT_WAIT_MS);
    if (!release) {
      // This receiver is slow: back in the queue (later the slower it is), so the slot serves other endpoints.
      const slowMs = Math.min(cfg.WEBHOOK_TIMEOUT_MS / 2, Math.max(SLOT_WAIT_MS, slots.busyForMs(endpointId)));
      await kick([{ deliveryId, attempt, delayMs: slowMs * (0.5 + random()) }], `t${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`);
      return;
    }
    try {
      let next: Next = { deliveryId, attempt };
      for (let n = 0; next && n < INLINE_PER_JOB; n++) next = await attemptDelivery(next.deliveryId, next.attempt, next.known, next.rest);
      // A long lane goes back to the queue now and then, so other lanes and endpoints get their turn.
      if (next) await kick([{ deliveryId: next.deliveryId, attempt: next.attempt }], 'c');
    } finally {
      release();
    }
  }

  async function attemptDelivery(deliveryId: string, attempt: number, known?: DeliveryDoc, rest?: DeliveryDoc[]): Promise<Next> {
    // Going on down its lane, a job has the delivery as it read the lane; a stale copy fails the claim below.
    const d = known ?? (await deliveries.findOne({ _id: deliveryId }).lean<DeliveryDoc>());
    if (!d) return null;
    if (d.state !== 'pending') {
      // A repeated fan-out queues the first of a lane again; if that one is done, the lane goes on.
      if (d.attempts >= attempt) await handOff(d);
      return null;
    }
    if (d.attempts >= attempt) return null; // this attempt ran (or is running) already
    // Read together (three round trips in one): the event is read even when the other two say stop, which is rare.
    const [endpoint, earlier, event] = await Promise.all([
      endpoints.findOne({ _id: d.endpointId, orgId: d.orgId }).lean<WebhookEndpointDoc>(),
      // The job that just finished the lane's head knows nothing earlier is pending.
      known ? Promise.resolve(null) : deliveries.exists({ lane: d.lane, state: 'pending', seq: { $lt: d.seq } }),
      events.findOne({ _id: d.eventId, orgId: d.orgId }).lean<EventDoc>(),
    ]);
    if (!endpoint || endpoint.status !== 'active') return null; // paused: resume queues it; disabled: it stays pending
    if (earlier) return null; // the earlier one hands the lane over when it ends
    if (!(await claimOnce(`attempt:${d._id}:${d.attempts + 1}`))) return null; // another copy of this job has it
    const startedAt = now();
    const claimed = await deliveries
      .findOneAndUpdate(
        { _id: d._id, state: 'pending', attempts: d.attempts },
        { $set: { attempts: d.attempts + 1, lastAttemptAt: startedAt, firstAttemptAt: d.firstAttemptAt ?? startedAt, nextAttemptAt: new Date(startedAt.getTime() + cfg.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS) } },
        { returnDocument: 'after' },
      )
      .lean<DeliveryDoc>();
    if (!claimed) return null; // another copy of this job claimed it
    const outcome: SendOutcome = event
      ? await send_(endpoint, event, startedAt)
      : { kind: 'error', error: 'the event is no longer in the log (past retention)', latencyMs: 0 };
    return settle(endpoint, claimed, outcome, !event, rest);
  }

  async function send_(endpoint: WebhookEndpointDoc, event: EventDoc, at: Date): Promise<SendOutcome> {
    const secrets = signingSecrets(endpoint.secrets ?? [], at);
    if (secrets.length === 0) return { kind: 'error', error: 'the endpoint has no signing secret in force', latencyMs: 0 };
    let url: URL;
    try {
      url = new URL(endpoint.url);
    } catch {
      return { kind: 'error', error: 'the endpoint URL is not valid', latencyMs: 0 };
    }
    // At every attempt, after DNS: an address that turned private since the URL was saved is refused.
    const target = await resolveDeliveryAddress(url, { allowPrivate: cfg.WEBHOOK_ALLOW_PRIVATE_URLS, resolve: deps.resolve });
    if ('problem' in target) return { kind: 'error', error: `refused: ${target.problem}`, latencyMs: 0 };
    const body = JSON.stringify(presentEvent(event));
    const timestamp = Math.floor(at.getTime() / 1000);
    return send({
      url,
      address: target.address,
      family: target.family,
      body,
      timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': event._id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, event._id, timestamp, body),
      },
    });
  }

  /** Records an attempt's outcome (only if this attempt still owns the delivery) and decides what comes next. */
  async function settle(endpoint: WebhookEndpointDoc, d: DeliveryDoc, o: SendOutcome, final: boolean, rest?: DeliveryDoc[]): Promise<Next> {
    const owned = { _id: d._id, state: 'pending' as const, attempts: d.attempts };
    const at = now();
    const status = o.kind === 'response' ? o.status : null;
    const latencyMs = o.kind === 'response' || o.latencyMs ? o.latencyMs : null;
    if (status !== null && status >= 200 && status < 300) {
      await deliveries.updateOne(owned, { $set: { state: 'delivered', deliveredAt: at, lastStatus: status, lastError: null, lastLatencyMs: latencyMs, nextAttemptAt: null } });
      deps.metrics?.observe(endpoint._id, 'delivered', latencyMs); // counted as soon as it shows as delivered
      if (endpoint.failingSince) await endpoints.updateOne({ _id: endpoint._id }, { $set: { failingSince: null } });
      return handOff(d, true, rest);
    }
    const error = describeFailure(o);
    // The receiver's answer stays out of the logs (it is in lastError, for the endpoint's own admins).
    deps.log.warn({ endpointId: endpoint._id, deliveryId: d._id, eventType: d.eventType, attempt: d.attempts, status, error: o.kind === 'error' ? o.error : `HTTP ${status}` }, 'webhook delivery failed');
    if (status === 410) {
      // The receiver says it is gone for good: stop sending; what is pending stays, for a re-enable.
      await deliveries.updateOne(owned, { $set: { lastStatus: status, lastError: error, lastLatencyMs: latencyMs, nextAttemptAt: null } });
      deps.metrics?.observe(endpoint._id, 'gone', latencyMs);
      await disable(endpoint, 'the receiver answered 410 Gone', { lastStatus: 410 });
      return null;
    }
    const retryAfterMs = o.kind === 'response' ? parseRetryAfter(o.retryAfter, at) : null;
    const delayMs = final ? null : nextRetryDelay(policy, { failedAttempts: d.attempts, firstAttemptAt: new Date(d.firstAttemptAt ?? at), now: at, retryAfterMs }, random);
    if (delayMs === null) {
      await deliveries.updateOne(owned, { $set: { state: 'failed', lastStatus: status, lastError: error, lastLatencyMs: latencyMs, nextAttemptAt: null } });
      deps.metrics?.observe(endpoint._id, 'failed', latencyMs);
      await handOff(d);
    } else {
      const nextAttemptAt = new Date(at.getTime() + delayMs);
      const r = await deliveries.updateOne(owned, { $set: { lastStatus: status, lastError: error, lastLatencyMs: latencyMs, nextAttemptAt } });
      deps.metrics?.observe(endpoint._id, 'retrying', latencyMs);
      if (r.modifiedCount) {
        await deps.queue.deliver(d._id, d.attempts + 1, delayMs).catch((err) => deps.log.warn({ err: (err as Error).message, deliveryId: d._id }, 'could not queue the retry; the sweeper will'));
      }
    }
    await noteFailing(endpoint, at);
    return null;
  }

  /** Every attempt failing since `failingSince`: after WEBHOOK_DISABLE_AFTER_MS (5 days) the endpoint is disabled. */
  async function noteFailing(endpoint: WebhookEndpointDoc, at: Date): Promise<void> {
    if (!endpoint.failingSince) {
      await endpoints.updateOne({ _id: endpoint._id, failingSince: null }, { $set: { failingSince: at } });
      return;
    }
    const days = disableAfterMs / 86_400_000;
    if (at.getTime() - new Date(endpoint.failingSince).getTime() >= disableAfterMs) {
      await disable(endpoint, `every delivery failed for ${days >= 1 ? `${Math.round(days)} days` : `${disableAfterMs} ms`}`, { failingSince: endpoint.failingSince });
    }
  }

  async function disable(endpoint: WebhookEndpointDoc, reason: string, detail: Record<string, unknown>): Promise<void> {
    // Two lanes may both see a 410 at once: one disables and audits (updatedAt: a re-enabled endpoint can be disabled again).
    if (!(await claimOnce(`disable:${endpoint._id}:${new Date(endpoint.updatedAt).getTime()}`))) return;
    const at = now();
    const r = await endpoints.updateOne({ _id: endpoint._id, orgId: endpoint.orgId, status: 'active' }, { $set: { status: 'disabled', disabledReason: reason, updatedAt: at } });
    if (!r.modifiedCount) return; // someone else disabled or paused it first: one audit record
    deps.log.warn({ endpointId: endpoint._id, orgId: endpoint.orgId, reason }, 'webhook endpoint disabled');
    await deps.audit.record({
      orgId: endpoint.orgId,
      actor: { type: 'system', id: 'webhook-delivery', name: 'webhook delivery' },
      action: 'webhook.disabled',
      target: { type: 'webhook', id: endpoint._id },
      summary: { before: { status: 'active' }, after: { status: 'disabled', disabledReason: reason }, ...detail },
    });
  }

  // ---- recovery and operator actions ----------------------------------------------------------

  async function sweep(): Promise<number> {
    const at = now().getTime();
    if (at - lastSweepAt < graceMs) return 0; // each sweep reads every pending delivery: not more often than the grace
    lastSweepAt = at;
    const rows = await deliveries
      .find({ state: 'pending' }, { _id: 1, endpointId: 1, lane: 1, seq: 1, attempts: 1, nextAttemptAt: 1, createdAt: 1 })
      .limit(SWEEP_MAX)
      .lean<DeliveryDoc[]>();
    const heads = laneHeads(rows);
    const endpointIds = [...new Set(heads.map((h) => h.endpointId))];
    const found = await inParallel(endpointIds, 8, (id) => endpoints.findOne({ _id: id }, { _id: 1, status: 1 }).lean<Pick<WebhookEndpointDoc, '_id' | 'status'>>());
    const active = new Set(found.filter((e) => e?.status === 'active').map((e) => e!._id));
    // Due: never attempted and not picked up within the grace, or its next attempt (or lease) long past.
    const due = heads.filter((h) => active.has(h.endpointId) && new Date(h.nextAttemptAt ?? h.createdAt).getTime() + graceMs < at);
    await kick(due.map((h) => ({ deliveryId: h._id, attempt: h.attempts + 1 })), `s${Math.floor(at / graceMs).toString(36)}`);
    if (due.length) deps.log.info({ deliveries: due.length }, 'webhook deliveries queued again by the sweeper');
    return due.length;
  }

  async function endpointOf(orgId: string, endpointId: string): Promise<WebhookEndpointDoc> {
    const endpoint = await endpoints.findOne({ _id: endpointId, orgId }).lean<WebhookEndpointDoc>();
    if (!endpoint) throw new NotFound('webhook endpoint');
    return endpoint;
  }

  /** A delivered or failed delivery becomes pending again with a fresh retry window; a pending one is tried now. */
  async function redeliver(orgId: string, endpointId: string, deliveryId: string): Promise<DeliveryDoc> {
    const d = await deliveries.findOne({ _id: deliveryId, orgId, endpointId }).lean<DeliveryDoc>();
    if (!d) throw new NotFound('delivery');
    if (d.state !== 'pending') {
      await deliveries.updateOne({ _id: d._id, state: d.state }, { $set: { state: 'pending', firstAttemptAt: null, nextAttemptAt: null, deliveredAt: null } });
    }
    await kick([{ deliveryId: d._id, attempt: d.attempts + 1 }], `r${Date.now().toString(36)}`);
    return (await deliveries.findOne({ _id: d._id }).lean<DeliveryDoc>())!;
  }

  async function replay(orgId: string, endpointId: string, opts: { since: Date; until: Date; types: string[] | null }): Promise<number> {
    const endpoint = await endpointOf(orgId, endpointId);
    let count = 0;
    let batch: EventDoc[] = [];
    const flush = async () => {
      const docs = batch.map((e) => newDelivery(endpoint, e, now()));
      batch = [];
      await insertNew(docs);
      // Those that existed and ended go again: same id, a fresh window, the current secrets.
      await inParallel(docs, 8, (doc) =>
        deliveries.updateOne({ _id: doc._id, state: { $ne: 'pending' } }, { $set: { state: 'pending', firstAttemptAt: null, nextAttemptAt: null, deliveredAt: null } }),
      );
    };
    for await (const e of deps.eventLog.between(orgId, opts.since, opts.until, opts.types?.length ? opts.types : null)) {
      if (!wants(endpoint, e)) continue;
      batch.push(e);
      count += 1;
      if (batch.length >= 500) await flush();
    }
    if (batch.length) await flush();
    if (count && endpoint.status === 'active') await queueLaneHeads(endpoint._id, `p${Date.now().toString(36)}`);
    return count;
  }

  async function list(orgId: string, endpointId: string, opts: { state?: string; limit: number; before?: number }): Promise<DeliveryDoc[]> {
    const filter: Record<string, unknown> = { endpointId, orgId };
    if (opts.state) filter.state = opts.state;
    if (opts.before !== undefined) filter.seq = { $lt: opts.before };
    // MongoDB answers from the (endpointId, seq) index; FerretDB v1 reads the endpoint's deliveries and sorts them.
    return deliveries.find(filter).sort({ seq: -1 }).limit(opts.limit).lean<DeliveryDoc[]>();
  }

  async function resume(orgId: string, endpointId: string): Promise<void> {
    const endpoint = await endpointOf(orgId, endpointId);
    if (endpoint.status === 'active') await queueLaneHeads(endpoint._id, `q${Date.now().toString(36)}`);
  }

  return { fanOut, deliver, sweep, redeliver, replay, list, resume };
}
