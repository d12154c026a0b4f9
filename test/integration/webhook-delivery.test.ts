import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { createEndpoint, drafts, newOrgId, newSigningSecret } from '../support/webhook-fixtures';
import type { DeliveryDoc } from '../../src/events/event.model';

/**
 * The delivery engine end to end: events recorded as producers record them, sequenced and fanned out
 * by the real workers, delivered over real HTTP to local receivers, on real Redis and the
 * MongoDB-wire server. Retry delays are milliseconds here (WEBHOOK_RETRY_DELAYS_MS).
 */
let h: Harness;
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_RETRY_DELAYS_MS: '150,300,600',
    WEBHOOK_RETRY_WINDOW_MS: '120000',
    WEBHOOK_TIMEOUT_MS: '8000',
    WEBHOOK_CONCURRENCY: '6',
    WEBHOOK_ENDPOINT_CONCURRENCY: '3',
    SWEEP_GRACE_MS: '500',
    SWEEP_INTERVAL_MS: '250',
  });
  await h.startWorkers({ sweepIntervalMs: 250 });
});

afterAll(async () => {
  // Nothing left retrying against receivers that are about to go.
  await h.c.events.models.endpoints.updateMany({}, { $set: { status: 'paused' } });
  for (const r of receivers) await r.close();
  await h.close();
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const deliveryOf = (id: string) => h.c.events.models.deliveries.findOne({ _id: id }).lean<DeliveryDoc>();
const WAIT = 30_000;

describe('webhook delivery', () => {
  it('signs every delivery so the official standardwebhooks package verifies it, with the event id as webhook-id', async () => {
    const orgId = newOrgId();
    const rx = await receiver();
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d] = drafts(orgId, [{ type: 'user.created', subject: 'u1', data: { userName: 'ada@example.com' } }]);
    await h.c.events.recorder.record([d]);
    await waitUntil('the delivery', async () => rx.requests.length === 1, WAIT);

    const got = rx.requests[0];
    expect(got.headers['webhook-id']).toBe(d._id);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toMatch(/^scim-sync-webhooks\//);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>);
    expect(verified).toEqual({
      id: d._id,
      type: 'user.created',
      seq: 1,
      occurredAt: d.occurredAt.toISOString(),
      orgId,
      subject: { type: 'user', id: 'u1' },
      changeId: d.changeId,
      requestId: null,
      actor: { type: 'system', id: 'test' },
      data: { n: 0, userName: 'ada@example.com' },
    });
    expect(() => new Webhook(newSigningSecret()).verify(got.body, got.headers as Record<string, string>)).toThrow('No matching signature');

    await waitUntil('delivered', async () => (await deliveryOf(`${ep._id}|${d._id}`))?.state === 'delivered', WAIT);
    expect(await deliveryOf(`${ep._id}|${d._id}`)).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastError: null, seq: 1, eventType: 'user.created' });
  });

  it('sends an event exactly once more, with the same webhook-id, after a 500', async () => {
    const orgId = newOrgId();
    const rx = await receiver((_r, n) => (n === 1 ? { status: 500, body: 'database on fire' } : { status: 204 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d] = drafts(orgId, [{ subject: 'u1' }]);
    await h.c.events.recorder.record([d]);
    await waitUntil('delivered', async () => (await deliveryOf(`${ep._id}|${d._id}`))?.state === 'delivered', WAIT);
    // Time for any stray copy to show up (a sweep, a duplicate job) before counting.
    await new Promise((r) => setTimeout(r, 1500));

    expect(rx.requests.map((r) => r.headers['webhook-id'])).toEqual([d._id, d._id]);
    expect(rx.requests.map((r) => r.status)).toEqual([500, 204]);
    for (const r of rx.requests) expect(() => new Webhook(ep.secret).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    expect(await deliveryOf(`${ep._id}|${d._id}`)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 204, lastError: null });
  });

  it('keeps the last error visible while an event is undelivered', async () => {
    const orgId = newOrgId();
    const rx = await receiver(() => ({ status: 503, body: 'maintenance until noon' }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d] = drafts(orgId, [{ subject: 'u1' }]);
    await h.c.events.recorder.record([d]);
    await waitUntil('two attempts', async () => ((await deliveryOf(`${ep._id}|${d._id}`))?.attempts ?? 0) >= 2, WAIT);

    const got = await deliveryOf(`${ep._id}|${d._id}`);
    expect(got).toMatchObject({ state: 'pending', lastStatus: 503, lastError: 'HTTP 503: maintenance until noon' });
    expect(await h.c.webhooks.list(orgId, ep._id, { state: 'pending', limit: 10 })).toEqual([expect.objectContaining({ _id: `${ep._id}|${d._id}`, lastStatus: 503 })]);
    await h.c.events.models.endpoints.updateOne({ _id: ep._id }, { $set: { status: 'paused' } });
  });

  it('delivers everything in per-subject order once a receiver that was down comes back', async () => {
    const orgId = newOrgId();
    let up = false;
    const rx = await receiver(() => (up ? { status: 200 } : { status: 503 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const subjects = ['alice', 'bob', 'carol'];
    const items = Array.from({ length: 15 }, (_, i) => ({ subject: subjects[i % 3] }));
    const ds = drafts(orgId, items);
    await h.c.events.recorder.record(ds);
    await waitUntil('each subject tried', async () => new Set(rx.requests.map((r) => r.event.subject.id)).size === 3, WAIT);
    up = true;
    await waitUntil('all delivered', async () => (await h.c.webhooks.list(orgId, ep._id, { state: 'delivered', limit: 100 })).length === 15, WAIT);

    // Accepted exactly once each, and per subject in seq order (different subjects interleave freely).
    const accepted = rx.accepted();
    expect(accepted.map((r) => r.event.id).sort()).toEqual(ds.map((d) => d._id).sort());
    for (const s of subjects) {
      const seqs = rx.requests.filter((r) => r.event.subject.id === s).map((r) => r.event.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // every attempt, failed ones included, in order
      expect(accepted.filter((r) => r.event.subject.id === s).map((r) => r.event.data.n)).toEqual(items.map((it, i) => (it.subject === s ? i : -1)).filter((i) => i >= 0));
    }
  });

  it('disables the endpoint on 410 Gone, says so in the audit log, and sends it nothing more', async () => {
    const orgId = newOrgId();
    const rx = await receiver(() => ({ status: 410 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d1, d2] = drafts(orgId, [{ subject: 'u1' }, { subject: 'u2' }]);
    await h.c.events.recorder.record([d1]);
    await waitUntil('disabled', async () => (await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean())?.status === 'disabled', WAIT);

    expect(await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean()).toMatchObject({ status: 'disabled', disabledReason: 'the receiver answered 410 Gone' });
    // The audit record is written just after the endpoint is disabled.
    await waitUntil('the audit record', async () => (await h.c.audit.list(orgId, { action: 'webhook.disabled', limit: 10 })).events.length > 0, WAIT);
    const { events: audit } = await h.c.audit.list(orgId, { action: 'webhook.disabled', limit: 10 });
    expect(audit).toEqual([
      expect.objectContaining({ action: 'webhook.disabled', actor: { type: 'system', id: 'webhook-delivery', name: 'webhook delivery' }, target: { type: 'webhook', id: ep._id } }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(ep.secret);
    await h.c.events.recorder.record([d2]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.requests.map((r) => r.event.id)).toEqual([d1._id]);
    expect(await deliveryOf(`${ep._id}|${d1._id}`)).toMatchObject({ state: 'pending', lastStatus: 410, attempts: 1 });
  });

  it('does not try again before the Retry-After the receiver asked for', async () => {
    const orgId = newOrgId();
    const rx = await receiver((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d] = drafts(orgId, [{ subject: 'u1' }]);
    await h.c.events.recorder.record([d]);
    await waitUntil('delivered', async () => (await deliveryOf(`${ep._id}|${d._id}`))?.state === 'delivered', WAIT);

    expect(rx.requests.map((r) => r.status)).toEqual([429, 200]);
    // Without Retry-After the schedule here would have tried again after about 150 ms.
    expect(rx.requests[1].receivedAt - rx.requests[0].answeredAt!).toBeGreaterThanOrEqual(2000);
    expect(Number(rx.requests[1].headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(rx.requests[0].headers['webhook-timestamp']) + 2);
  });

  it('signs with both secrets during a rotation and only with the new one after the overlap', async () => {
    const orgId = newOrgId();
    const rx = await receiver();
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const t0 = Date.now();
    const ep = await createEndpoint(h, orgId, rx.url, {
      secrets: [
        { secret: newSecret, createdAt: new Date(t0), expiresAt: null },
        { secret: oldSecret, createdAt: new Date(t0 - 86_400_000), expiresAt: new Date(t0 + 3_600_000) },
      ],
    });
    const [d1, d2] = drafts(orgId, [{ subject: 'u1' }, { subject: 'u2' }]);
    await h.c.events.recorder.record([d1]);
    await waitUntil('first delivery', async () => rx.requests.length === 1, WAIT);
    const during = rx.requests[0];
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) expect(() => new Webhook(s).verify(during.body, during.headers as Record<string, string>)).not.toThrow();

    await h.c.events.models.endpoints.updateOne({ _id: ep._id }, { $set: { 'secrets.1.expiresAt': new Date(Date.now() - 1000) } });
    await h.c.events.recorder.record([d2]);
    await waitUntil('second delivery', async () => rx.requests.length === 2, WAIT);
    const after = rx.requests[1];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(newSecret).verify(after.body, after.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(after.body, after.headers as Record<string, string>)).toThrow('No matching signature');
  });

  it('replays a time range with the same event ids, and redelivers one delivery on request', async () => {
    const orgId = newOrgId();
    const rx = await receiver();
    const ep = await createEndpoint(h, orgId, rx.url, { types: ['user.updated', 'user.created'] });
    const since = new Date(Date.now() - 60_000);
    const ds = drafts(orgId, [{ subject: 'u1' }, { subject: 'u2', type: 'user.created' }, { subject: 'u1' }, { subject: 'g1', type: 'group.created', subjectType: 'group' }]);
    await h.c.events.recorder.record(ds);
    await waitUntil('first round', async () => rx.requests.length === 3, WAIT);

    const queued = await h.c.webhooks.replay(orgId, ep._id, { since, until: new Date(), types: null });
    expect(queued).toBe(3); // the group event is not one this endpoint takes
    await waitUntil('replayed', async () => rx.requests.length === 6, WAIT);
    const wanted = [ds[0]._id, ds[1]._id, ds[2]._id].sort();
    expect(rx.requests.slice(3).map((r) => r.headers['webhook-id']).sort()).toEqual(wanted);
    expect(await h.c.webhooks.replay(orgId, ep._id, { since, until: new Date(), types: ['user.created'] })).toBe(1);
    await waitUntil('replayed by type', async () => rx.requests.length === 7, WAIT);
    expect(rx.requests[6].headers['webhook-id']).toBe(ds[1]._id);

    const id = `${ep._id}|${ds[2]._id}`;
    await h.c.webhooks.redeliver(orgId, ep._id, id);
    await waitUntil('redelivered', async () => rx.requests.length === 8, WAIT);
    expect(rx.requests[7].headers['webhook-id']).toBe(ds[2]._id);
    await waitUntil('delivered again', async () => (await deliveryOf(id))?.state === 'delivered', WAIT);
    expect(await deliveryOf(id)).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200 });
    const listed = await h.c.webhooks.list(orgId, ep._id, { limit: 10 });
    expect(listed.map((d) => d.seq)).toEqual([3, 2, 1]);
    expect((await h.c.webhooks.list(orgId, ep._id, { limit: 10, before: 3 })).map((d) => d.seq)).toEqual([2, 1]);
  });

  it('still delivers an event whose retry job was lost with everything else in Redis', async () => {
    const orgId = newOrgId();
    const rx = await receiver((_r, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d1, d2] = drafts(orgId, [{ subject: 'u1' }, { subject: 'u1' }]);
    await h.c.events.recorder.record([d1, d2]);
    await waitUntil('first attempt answered', async () => (await deliveryOf(`${ep._id}|${d1._id}`))?.lastStatus === 503, WAIT);
    // FLUSHALL, for this file's keys only (other test files share the Redis): the delayed retry is gone.
    await deleteKeys(`${h.config.QUEUE_PREFIX}:*`);
    expect(await h.c.redis.keys(`${h.config.QUEUE_PREFIX}:*`)).toEqual([]);

    await waitUntil('both delivered', async () => (await h.c.webhooks.list(orgId, ep._id, { state: 'delivered', limit: 10 })).length === 2, WAIT);
    expect(rx.accepted().map((r) => r.event.id)).toEqual([d1._id, d2._id]);
  });

  it("never shows one organization's events to another organization's endpoint", async () => {
    const [orgA, orgB] = [newOrgId(), newOrgId()];
    const [rxA, rxB] = [await receiver(), await receiver()];
    const epA = await createEndpoint(h, orgA, rxA.url);
    const epB = await createEndpoint(h, orgB, rxB.url);
    const a = drafts(orgA, [{ subject: 'same-id' }, { subject: 'a2' }]);
    const b = drafts(orgB, [{ subject: 'same-id' }]);
    await h.c.events.recorder.record([...a, ...b]);
    await waitUntil('all delivered', async () => rxA.requests.length === 2 && rxB.requests.length === 1, WAIT);
    await new Promise((r) => setTimeout(r, 1000));

    expect(rxA.requests.map((r) => [r.event.orgId, r.event.id]).sort()).toEqual(a.map((d) => [orgA, d._id]).sort());
    expect(rxB.requests.map((r) => [r.event.orgId, r.event.id])).toEqual([[orgB, b[0]._id]]);
    expect(await h.c.webhooks.list(orgB, epA._id, { limit: 10 })).toEqual([]);
    await expect(h.c.webhooks.redeliver(orgB, epA._id, `${epA._id}|${a[0]._id}`)).rejects.toThrow('delivery not found');
    await expect(h.c.webhooks.redeliver(orgB, epB._id, `${epA._id}|${a[0]._id}`)).rejects.toThrow('delivery not found');
    await expect(h.c.webhooks.replay(orgB, epA._id, { since: new Date(0), until: new Date(), types: null })).rejects.toThrow('webhook endpoint not found');
    await expect(h.c.webhooks.resume(orgA, epB._id)).rejects.toThrow('webhook endpoint not found');
  });

  it('sends a test event only to the endpoint it was made for', async () => {
    const orgId = newOrgId();
    const [rx1, rx2] = [await receiver(), await receiver()];
    const ep1 = await createEndpoint(h, orgId, rx1.url);
    await createEndpoint(h, orgId, rx2.url);
    const [t] = drafts(orgId, [{ type: 'webhook.test', subject: ep1._id, subjectType: 'webhook', data: { endpointId: ep1._id } }]);
    const [u] = drafts(orgId, [{ subject: 'u1' }]);
    await h.c.events.recorder.record([t, u]);
    await waitUntil('delivered', async () => rx1.requests.length === 2 && rx2.requests.length === 1, WAIT);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx1.requests.map((r) => r.event.type).sort()).toEqual(['user.updated', 'webhook.test']);
    expect(rx2.requests.map((r) => r.event.type)).toEqual(['user.updated']);
  });

  it('holds deliveries to a paused endpoint and sends them in order on resume', async () => {
    const orgId = newOrgId();
    const rx = await receiver();
    const ep = await createEndpoint(h, orgId, rx.url, { status: 'paused' });
    const ds = drafts(orgId, [{ subject: 'u1' }, { subject: 'u1' }, { subject: 'u2' }]);
    await h.c.events.recorder.record(ds);
    await waitUntil('pending', async () => (await h.c.webhooks.list(orgId, ep._id, { state: 'pending', limit: 10 })).length === 3, WAIT);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.requests).toEqual([]);

    await h.c.events.models.endpoints.updateOne({ _id: ep._id }, { $set: { status: 'active' } });
    await h.c.webhooks.resume(orgId, ep._id);
    await waitUntil('sent', async () => rx.requests.length === 3, WAIT);
    expect(rx.requests.filter((r) => r.event.subject.id === 'u1').map((r) => r.event.id)).toEqual([ds[0]._id, ds[1]._id]);
  });

  it("does not let a hanging receiver hold up another endpoint's deliveries", async () => {
    const orgId = newOrgId();
    const slow = await receiver(() => 'hang');
    const fast = await receiver();
    const slowEp = await createEndpoint(h, orgId, slow.url);
    await createEndpoint(h, orgId, fast.url, { types: ['user.created'] });
    // 12 subjects: 12 lanes to the hanging receiver, twice the worker's 6 delivery slots.
    await h.c.events.recorder.record(drafts(orgId, Array.from({ length: 12 }, (_, i) => ({ subject: `slow-${i}` }))));
    await waitUntil('the hanging receiver holds its share', async () => slow.requests.length === 3, WAIT);
    const [created] = drafts(orgId, [{ type: 'user.created', subject: 'new-hire' }]);
    await h.c.events.recorder.record([created]);
    await waitUntil('the other endpoint got its event', async () => fast.requests.length === 1, WAIT);

    // Received while every request to the hanging receiver was still open (none has timed out after 8 s): it waited for none of them.
    expect(fast.requests[0].event.id).toBe(created._id);
    expect(await h.c.events.models.deliveries.countDocuments({ endpointId: slowEp._id, lastError: { $ne: null } })).toBe(0);
    // At most WEBHOOK_ENDPOINT_CONCURRENCY (3) attempts to it at once.
    expect(slow.requests).toHaveLength(3);
    await h.c.events.models.endpoints.updateOne({ _id: slowEp._id }, { $set: { status: 'paused' } });
  });

  it('reports deliveries by endpoint and outcome, latency and the oldest undelivered age at /metrics', async () => {
    const orgId = newOrgId();
    const rx = await receiver((_r, n) => (n === 1 ? { status: 500 } : { status: 200 }));
    const ep = await createEndpoint(h, orgId, rx.url);
    const [d] = drafts(orgId, [{ subject: 'u1' }]);
    await h.c.events.recorder.record([d]);
    await waitUntil('delivered', async () => (await deliveryOf(`${ep._id}|${d._id}`))?.state === 'delivered', WAIT);

    const res = await request(h.app).get('/metrics').expect(200);
    expect(res.text).toContain(`scim_sync_webhook_deliveries_total{endpoint="${ep._id}",outcome="retrying"} 1`);
    expect(res.text).toContain(`scim_sync_webhook_deliveries_total{endpoint="${ep._id}",outcome="delivered"} 1`);
    expect(res.text).toMatch(/scim_sync_webhook_delivery_latency_seconds_count\{outcome="delivered"\} \d+/);
    expect(res.text).toMatch(/^scim_sync_webhook_oldest_undelivered_seconds \d+(\.\d+)?$/m);
  });
});

async function deleteKeys(pattern: string): Promise<void> {
  const keys = await h.c.redis.keys(pattern);
  for (let i = 0; i < keys.length; i += 500) await h.c.redis.del(...keys.slice(i, i + 500));
}
