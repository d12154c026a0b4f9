import type request from 'supertest';
import { randomBytes } from 'node:crypto';
import { eventId } from '../../src/events/event-ids';
import { startHarness, type AdminClient, type Harness } from '../support/harness';

// The webhook endpoints admin API: /api/v1/orgs/:org/webhooks and what hangs off it (rotation,
// test events, deliveries, redelivery, replay), through the real app with admin keys. What the
// receiver gets through these routes is in webhook-endpoints-delivery.test.ts.

const rand = () => randomBytes(4).toString('hex');
const SECRET_FORM = /^whsec_[A-Za-z0-9+/]{43}=$/;
const PRESENTED_KEYS = ['createdAt', 'description', 'disabledReason', 'id', 'secretOverlapUntil', 'secretRotatedAt', 'status', 'types', 'updatedAt', 'url'];

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
}

function expectValidation(res: request.Response, path: string) {
  expectProblem(res, 400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

interface Org {
  orgId: string;
  api: AdminClient;
  keyId: string;
}

async function newOrg(h: Harness): Promise<Org> {
  const dir = await h.directory('generic');
  const key = await h.adminKey(dir.orgId);
  return { orgId: dir.orgId, api: key.api, keyId: key.keyId };
}

async function create(o: Org, body: Record<string, unknown>) {
  const res = await o.api.post(`/orgs/${o.orgId}/webhooks`, body);
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string } & Record<string, unknown>;
}

describe('with private URLs refused (the production default)', () => {
  let h: Harness;
  let o: Org;
  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    o = await newOrg(h);
  });
  afterAll(() => h.close());

  it.each([
    ['http://hooks.example.com/scim', 'url must use https'],
    ['https://127.0.0.1/hook', 'url must not name a loopback, link-local or private address'],
    ['https://10.1.2.3/hook', 'url must not name a loopback, link-local or private address'],
    ['https://169.254.169.254/latest/meta-data', 'url must not name a loopback, link-local or private address'],
    ['https://[::1]/hook', 'url must not name a loopback, link-local or private address'],
    ['https://user:pass@hooks.example.com/hook', 'url must not contain credentials'],
    ['https://localhost/hook', 'url must name a public host'],
    ['not a url', 'url is not a valid absolute URL'],
  ])('refuses %s with a 400 problem saying why', async (url, reason) => {
    const res = await o.api.post(`/orgs/${o.orgId}/webhooks`, { url });
    expectProblem(res, 400);
    expect(res.body.detail).toBe(reason);
  });

  it('keeps nothing of a refused URL and accepts a public https one, on creation and on change', async () => {
    const ok = await create(o, { url: 'https://hooks.example.com/scim' });
    const patched = await o.api.patch(`/orgs/${o.orgId}/webhooks/${ok.id}`, { url: 'http://10.0.0.5/x' });
    expectProblem(patched, 400);
    expect(patched.body.detail).toBe('url must use https');
    const list = await o.api.get(`/orgs/${o.orgId}/webhooks`);
    expect(list.body.webhooks.map((w: { url: string }) => w.url)).toEqual(['https://hooks.example.com/scim']);
  });
});

describe('with private URLs allowed (development and tests)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  });
  afterAll(() => h.close());

  describe('creating, reading and changing endpoints', () => {
    let o: Org;
    beforeAll(async () => {
      o = await newOrg(h);
    });

    it('answers 201 with the endpoint and a whsec_ secret of 32 random bytes, shown once', async () => {
      const res = await o.api.post(`/orgs/${o.orgId}/webhooks`, { url: 'http://127.0.0.1:9/hook', types: ['user.created', 'access.revoked', 'user.created'], description: 'the HR app' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual([...PRESENTED_KEYS, 'secret'].sort());
      expect(res.body).toEqual({
        id: expect.any(String),
        url: 'http://127.0.0.1:9/hook',
        description: 'the HR app',
        types: ['user.created', 'access.revoked'],
        status: 'active',
        disabledReason: null,
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
        secretRotatedAt: null,
        secretOverlapUntil: null,
        secret: expect.stringMatching(SECRET_FORM),
      });
      expect(Buffer.from(res.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
      // Random each time.
      const other = await create(o, { url: 'http://127.0.0.1:9/other' });
      expect(other.secret).toMatch(SECRET_FORM);
      expect(other.secret).not.toBe(res.body.secret);
      expect(other.types).toEqual([]);
      expect(other.description).toBe('');

      // Never again: not in the list, not in a read, not in the audit log.
      const list = await o.api.get(`/orgs/${o.orgId}/webhooks`);
      expect(list.status).toBe(200);
      expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual([res.body.id, other.id]);
      for (const w of list.body.webhooks) expect(Object.keys(w).sort()).toEqual(PRESENTED_KEYS);
      const one = await o.api.get(`/orgs/${o.orgId}/webhooks/${res.body.id}`);
      expect(one.status).toBe(200);
      const { secret: _secret, ...presented } = res.body;
      expect(one.body).toEqual(presented);
      const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetType=webhook`);
      expect(audit.status).toBe(200);
      expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(['webhook.created', 'webhook.created']);
      expect(audit.body.events[1]).toMatchObject({ actor: { type: 'adminKey', id: o.keyId }, target: { type: 'webhook', id: res.body.id } });
      for (const text of [JSON.stringify(list.body), JSON.stringify(one.body), JSON.stringify(audit.body)]) {
        expect(text).not.toContain(res.body.secret);
        expect(text).not.toContain(other.secret);
        expect(text).not.toContain('whsec_');
      }
    });

    it('refuses unknown event types, webhook.test as a filter, long descriptions, unknown fields and query parameters', async () => {
      const base = `/orgs/${o.orgId}/webhooks`;
      const unknown = await o.api.post(base, { url: 'http://127.0.0.1:9/x', types: ['user.created', 'user.exploded'] });
      expectValidation(unknown, 'types.1');
      expect(unknown.body.errors[0].message).toContain('user.exploded');
      expectValidation(await o.api.post(base, { url: 'http://127.0.0.1:9/x', types: ['webhook.test'] }), 'types.0');
      expectValidation(await o.api.post(base, { url: 'http://127.0.0.1:9/x', types: 'user.created' }), 'types');
      expectValidation(await o.api.post(base, { url: 'http://127.0.0.1:9/x', description: 'x'.repeat(501) }), 'description');
      expectValidation(await o.api.post(base, { url: 'http://127.0.0.1:9/x', secret: 'whsec_mine' }), '(body)');
      expectValidation(await o.api.post(base, {}), 'url');
      expectValidation(await o.api.get(`${base}?status=active`), 'status');
      const id = (await create(o, { url: 'http://127.0.0.1:9/y' })).id;
      expectValidation(await o.api.patch(`${base}/${id}`, { status: 'disabled' }), 'status');
      expectValidation(await o.api.patch(`${base}/${id}`, { types: ['nope'] }), 'types.0');
      expectProblem(await o.api.patch(`${base}/${id}`, {}), 400);
      expectValidation(await o.api.post(`${base}/${id}/rotate-secret`, { overlapSeconds: 7 * 86_400 + 1 }), 'overlapSeconds');
      expectValidation(await o.api.post(`${base}/${id}/rotate-secret`, { overlapSeconds: -1 }), 'overlapSeconds');
      expectProblem(await o.api.get(`${base}/no-such-endpoint`), 404);
      expect((await o.api.delete(`${base}/${id}`)).status).toBe(204);
    });

    it('changes url, types and description, pauses and resumes, and audits each change', async () => {
      const w = await create(o, { url: 'http://127.0.0.1:9/a' });
      const path = `/orgs/${o.orgId}/webhooks/${w.id}`;
      const changed = await o.api.patch(path, { url: 'http://127.0.0.1:9/b', types: ['group.updated'], description: 'renamed' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: w.id, url: 'http://127.0.0.1:9/b', types: ['group.updated'], description: 'renamed', status: 'active' });
      expect(new Date(changed.body.updatedAt).getTime()).toBeGreaterThan(new Date(w.createdAt as string).getTime());
      const paused = await o.api.patch(path, { status: 'paused' });
      expect(paused.body.status).toBe('paused');
      expect((await o.api.get(path)).body.status).toBe('paused');
      const resumed = await o.api.patch(path, { status: 'active' });
      expect(resumed.body).toMatchObject({ status: 'active', url: 'http://127.0.0.1:9/b', types: ['group.updated'] });
      // Clearing the filter means every type.
      expect((await o.api.patch(path, { types: [] })).body.types).toEqual([]);
      const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetId=${w.id}`);
      expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(['webhook.updated', 'webhook.updated', 'webhook.updated', 'webhook.updated', 'webhook.created']);
      expect(audit.body.events[2].summary).toEqual({ before: { status: 'active' }, after: { status: 'paused' } });
    });

    it('re-enables a disabled endpoint with status active, clearing why it was disabled', async () => {
      const w = await create(o, { url: 'http://127.0.0.1:9/gone' });
      const since = new Date(Date.now() - 6 * 86_400_000);
      // What the delivery engine does on 410 Gone or five failing days.
      await h.c.events.models.endpoints.updateOne({ _id: w.id }, { $set: { status: 'disabled', disabledReason: 'the receiver answered 410 Gone', failingSince: since } });
      const path = `/orgs/${o.orgId}/webhooks/${w.id}`;
      expect((await o.api.get(path)).body).toMatchObject({ status: 'disabled', disabledReason: 'the receiver answered 410 Gone' });
      expectProblem(await o.api.post(`${path}/test`), 409);
      const res = await o.api.patch(path, { status: 'active' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'active', disabledReason: null });
      const stored = await h.c.events.models.endpoints.findById(w.id).lean();
      expect(stored).toMatchObject({ status: 'active', disabledReason: null, failingSince: null });
    });

    it('rotates the secret: a new one shown once, the old one still valid until the overlap ends', async () => {
      const w = await create(o, { url: 'http://127.0.0.1:9/rot' });
      const path = `/orgs/${o.orgId}/webhooks/${w.id}`;
      const before = Date.now();
      const res = await o.api.post(`${path}/rotate-secret`, { overlapSeconds: 3600 });
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(SECRET_FORM);
      expect(res.body.secret).not.toBe(w.secret);
      expect(res.body.secretRotatedAt).toEqual(expect.any(String));
      const overlapEnd = new Date(res.body.secretOverlapUntil).getTime();
      expect(overlapEnd).toBeGreaterThanOrEqual(before + 3600_000);
      expect(overlapEnd).toBeLessThanOrEqual(Date.now() + 3600_000);
      // Two secrets sign now: the new one without end, the old one until the overlap ends.
      const stored = await h.c.events.models.endpoints.findById(w.id).lean();
      expect(stored!.secrets.map((s) => [s.secret, s.expiresAt && new Date(s.expiresAt).getTime()])).toEqual([
        [res.body.secret, null],
        [w.secret, overlapEnd],
      ]);
      const read = await o.api.get(path);
      expect(read.body).toMatchObject({ secretRotatedAt: res.body.secretRotatedAt, secretOverlapUntil: res.body.secretOverlapUntil });
      expect(JSON.stringify(read.body)).not.toContain('whsec_');

      // Rotating again during the overlap keeps every secret handed out, none past its own end.
      const again = await o.api.post(`${path}/rotate-secret`, {});
      expect(again.status).toBe(200);
      const twice = await h.c.events.models.endpoints.findById(w.id).lean();
      expect(twice!.secrets.map((s) => s.secret)).toEqual([again.body.secret, res.body.secret, w.secret]);
      expect(new Date(twice!.secrets[2].expiresAt!).getTime()).toBe(overlapEnd);
      // The default overlap is one day.
      expect(new Date(twice!.secrets[1].expiresAt!).getTime()).toBe(new Date(again.body.secretOverlapUntil).getTime());
      expect(new Date(again.body.secretOverlapUntil).getTime() - new Date(again.body.secretRotatedAt).getTime()).toBe(86_400_000);

      // No overlap: only the newest secret signs.
      const cut = await o.api.post(`${path}/rotate-secret`, { overlapSeconds: 0 });
      expect(cut.body.secretOverlapUntil).toBeNull();
      expect((await h.c.events.models.endpoints.findById(w.id).lean())!.secrets.map((s) => s.secret)).toEqual([cut.body.secret]);
      const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetId=${w.id}&action=webhook.secret_rotated`);
      expect(audit.body.events).toHaveLength(3);
      expect(JSON.stringify(audit.body)).not.toContain('whsec_');
    });

    it('deletes an endpoint: 204, then 404 for it everywhere', async () => {
      const w = await create(o, { url: 'http://127.0.0.1:9/del' });
      const path = `/orgs/${o.orgId}/webhooks/${w.id}`;
      expect((await o.api.delete(path)).status).toBe(204);
      expectProblem(await o.api.get(path), 404);
      expectProblem(await o.api.delete(path), 404);
      expectProblem(await o.api.patch(path, { status: 'paused' }), 404);
      expectProblem(await o.api.post(`${path}/rotate-secret`, {}), 404);
      expectProblem(await o.api.post(`${path}/test`), 404);
      expectProblem(await o.api.get(`${path}/deliveries`), 404);
      expectProblem(await o.api.post(`${path}/replay`, { since: new Date(0).toISOString() }), 404);
      expect((await o.api.get(`/orgs/${o.orgId}/webhooks`)).body.webhooks.map((x: { id: string }) => x.id)).not.toContain(w.id);
      const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetId=${w.id}`);
      expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(['webhook.deleted', 'webhook.created']);
    });
  });

  describe('who may manage endpoints', () => {
    let a: Org;
    let b: Org;
    let aHook: { id: string; secret: string };
    beforeAll(async () => {
      a = await newOrg(h);
      b = await newOrg(h);
      aHook = await create(a, { url: 'http://127.0.0.1:9/a-only', description: 'org A' });
    });

    it('lets an org reader key read endpoints but not create, change, rotate, test, replay or delete them', async () => {
      const reader = await h.adminKey(a.orgId, 'preset:org-reader');
      const base = `/orgs/${a.orgId}/webhooks`;
      expect((await reader.api.get(base)).status).toBe(200);
      expect((await reader.api.get(`${base}/${aHook.id}`)).status).toBe(200);
      expect((await reader.api.get(`${base}/${aHook.id}/deliveries`)).status).toBe(200);
      const refused = await reader.api.post(base, { url: 'http://127.0.0.1:9/reader' });
      expectProblem(refused, 403);
      expect(refused.body.detail).toContain('api.webhook.write');
      expectProblem(await reader.api.patch(`${base}/${aHook.id}`, { status: 'paused' }), 403);
      expectProblem(await reader.api.post(`${base}/${aHook.id}/rotate-secret`, {}), 403);
      expectProblem(await reader.api.post(`${base}/${aHook.id}/test`), 403);
      expectProblem(await reader.api.post(`${base}/${aHook.id}/replay`, { since: new Date(0).toISOString() }), 403);
      expectProblem(await reader.api.delete(`${base}/${aHook.id}`), 403);
      const list = await a.api.get(base);
      expect(list.body.webhooks).toEqual([expect.objectContaining({ id: aHook.id, status: 'active', url: 'http://127.0.0.1:9/a-only' })]);
    });

    it('answers another organization 403 on A\'s paths and 404 for A\'s endpoint id on its own, changing nothing', async () => {
      const missing = await b.api.get(`/orgs/no-such-org-${rand()}/webhooks`);
      expectProblem(missing, 403);
      for (const res of [
        await b.api.get(`/orgs/${a.orgId}/webhooks`),
        await b.api.get(`/orgs/${a.orgId}/webhooks/${aHook.id}`),
        await b.api.post(`/orgs/${a.orgId}/webhooks`, { url: 'http://127.0.0.1:9/planted' }),
        await b.api.delete(`/orgs/${a.orgId}/webhooks/${aHook.id}`),
      ]) {
        expectProblem(res, 403);
        expect(res.body.detail).toBe(missing.body.detail);
      }
      const own = `/orgs/${b.orgId}/webhooks/${aHook.id}`;
      for (const res of [
        await b.api.get(own),
        await b.api.patch(own, { url: 'http://127.0.0.1:9/stolen' }),
        await b.api.post(`${own}/rotate-secret`, {}),
        await b.api.post(`${own}/test`),
        await b.api.get(`${own}/deliveries`),
        await b.api.post(`${own}/deliveries/${aHook.id}|${eventId('x', 1)}/redeliver`),
        await b.api.post(`${own}/replay`, { since: new Date(0).toISOString() }),
        await b.api.delete(own),
      ]) {
        expectProblem(res, 404);
        expect(JSON.stringify(res.body)).not.toContain('org A');
      }
      expect((await b.api.get(`/orgs/${b.orgId}/webhooks`)).body.webhooks).toEqual([]);
      const stored = await h.c.events.models.endpoints.findById(aHook.id).lean();
      expect(stored).toMatchObject({ orgId: a.orgId, url: 'http://127.0.0.1:9/a-only', status: 'active' });
      expect(stored!.secrets.map((s) => s.secret)).toEqual([aHook.secret]);
    });
  });

  describe('test events, deliveries and replay', () => {
    let o: Org;
    let hook: { id: string; secret: string };
    const testEventIds: string[] = [];
    beforeAll(async () => {
      o = await newOrg(h);
      hook = await create(o, { url: 'http://127.0.0.1:9/unreachable', types: ['user.created'] });
    });

    it('records a webhook.test event for that endpoint only, sequenced into the log', async () => {
      const res = await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/test`).set('X-Request-Id', `test-${rand()}`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ eventId: expect.stringMatching(/^evt_[0-9a-f]{32}$/) });
      await h.c.events.sequencer.run(o.orgId);
      const e = await o.api.get(`/orgs/${o.orgId}/events/${res.body.eventId}`);
      expect(e.status).toBe(200);
      expect(e.body).toEqual({
        id: res.body.eventId,
        type: 'webhook.test',
        seq: 1,
        occurredAt: expect.any(String),
        orgId: o.orgId,
        subject: { type: 'webhook', id: hook.id },
        changeId: null,
        requestId: res.headers['x-request-id'],
        actor: { type: 'adminKey', id: o.keyId, name: expect.any(String) },
        data: { endpointId: hook.id, message: 'a test event sent from the admin API' },
      });
      // The same request again (a client retry with its request id) is the same test, not a second one.
      const retry = await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/test`).set('X-Request-Id', res.headers['x-request-id']);
      expect(retry.body.eventId).toBe(res.body.eventId);
      const other = await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/test`);
      expect(other.body.eventId).not.toBe(res.body.eventId);
      await h.c.events.sequencer.run(o.orgId);
      const log = await o.api.get(`/orgs/${o.orgId}/events?types=webhook.test`);
      expect(log.body.events.map((x: { id: string }) => x.id)).toEqual([res.body.eventId, other.body.eventId]);
      testEventIds.push(res.body.eventId, other.body.eventId);
    });

    it('lists the endpoint\'s deliveries newest first, paged with next, with strict query parameters', async () => {
      const path = `/orgs/${o.orgId}/webhooks/${hook.id}/deliveries`;
      // No worker runs in this harness: the two test deliveries wait, pending, never attempted.
      const res = await o.api.get(`${path}?state=pending&limit=10`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        deliveries: [...testEventIds].reverse().map((id, i) => ({
          id: `${hook.id}|${id}`,
          eventId: id,
          eventType: 'webhook.test',
          seq: 2 - i,
          subject: { type: 'webhook', id: hook.id },
          state: 'pending',
          attempts: 0,
          firstAttemptAt: null,
          lastAttemptAt: null,
          nextAttemptAt: null,
          lastStatus: null,
          lastError: null,
          lastLatencyMs: null,
          deliveredAt: null,
          createdAt: expect.any(String),
        })),
        next: null,
      });
      const first = await o.api.get(`${path}?limit=1`);
      expect(first.body.deliveries.map((d: { eventId: string }) => d.eventId)).toEqual([testEventIds[1]]);
      expect(first.body.next).toBe(2);
      const second = await o.api.get(`${path}?limit=1&before=${first.body.next}`);
      expect(second.body.deliveries.map((d: { eventId: string }) => d.eventId)).toEqual([testEventIds[0]]);
      expect((await o.api.get(`${path}?state=delivered`)).body.deliveries).toEqual([]);
      expectValidation(await o.api.get(`${path}?state=lost`), 'state');
      expectValidation(await o.api.get(`${path}?limit=0`), 'limit');
      expectValidation(await o.api.get(`${path}?before=x`), 'before');
      expectValidation(await o.api.get(`${path}?status=pending`), 'status');
    });

    it('refuses to redeliver a delivery of another endpoint', async () => {
      const other = await create(o, { url: 'http://127.0.0.1:9/other' });
      const foreign = `${other.id}|${eventId('user.created', 'x')}`;
      expectProblem(await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/deliveries/${encodeURIComponent(foreign)}/redeliver`), 404);
      expectProblem(await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/deliveries/${'x'.repeat(300)}/redeliver`), 404);
    });

    it('refuses a replay window without since, with since after until, with bad times or unknown types', async () => {
      const path = `/orgs/${o.orgId}/webhooks/${hook.id}/replay`;
      const now = Date.now();
      expectValidation(await o.api.post(path, {}), 'since');
      expectValidation(await o.api.post(path, { since: 'yesterday' }), 'since');
      expectValidation(await o.api.post(path, { since: new Date(now).toISOString(), until: new Date(now - 1000).toISOString() }), 'since');
      expectValidation(await o.api.post(path, { since: new Date(0).toISOString(), types: ['user.exploded'] }), 'types.0');
      expectValidation(await o.api.post(path, { since: new Date(0).toISOString(), from: 'x' }), '(body)');
      // A since in the future is after the default until (now).
      const future = await o.api.post(path, { since: new Date(now + 3600_000).toISOString() });
      expectProblem(future, 400);
      expect(future.body.detail).toBe('since must not be after until');
      const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetId=${hook.id}&action=webhook.replayed`);
      expect(audit.body.events).toEqual([]);
    });
  });
});
