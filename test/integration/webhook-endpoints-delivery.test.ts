import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventId } from '../../src/events/event-ids';
import { startHarness, type AdminClient, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';

// The webhook endpoints API with the delivery engine running and a real receiver on 127.0.0.1:
// what a receiver gets from a test event, a rotation, a redelivery and a replay asked through the API.

interface Org {
  orgId: string;
  api: AdminClient;
}

async function newOrg(h: Harness): Promise<Org> {
  const dir = await h.directory('generic');
  const key = await h.adminKey(dir.orgId);
  return { orgId: dir.orgId, api: key.api };
}

async function create(o: Org, body: Record<string, unknown>) {
  const res = await o.api.post(`/orgs/${o.orgId}/webhooks`, body);
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string } & Record<string, unknown>;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const signatureHeaders = (r: Received) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('the endpoints API with deliveries running', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    await h.startWorkers({ sweepIntervalMs: 500 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await new Promise((r) => receiver.server.close(r));
    await h.close();
  });

  it('delivers a test event only to the endpoint tested, signed so both secrets verify during rotation, and redelivers it', async () => {
    const o = await newOrg(h);
    const hook = await create(o, { url: receiver.url });
    const bystander = await create(o, { url: `${receiver.url}?bystander=1` });
    const path = `/orgs/${o.orgId}/webhooks/${hook.id}`;
    const rotated = await o.api.post(`${path}/rotate-secret`, { overlapSeconds: 600 });
    expect(rotated.status).toBe(200);

    const sent = await o.api.post(`${path}/test`);
    expect(sent.status).toBe(202);
    await waitUntil('the test event to arrive', async () => receiver.received.length >= 1, 30_000);
    const first = receiver.received[0];
    expect(first.headers['webhook-id']).toBe(sent.body.eventId);
    const body = JSON.parse(first.body);
    expect(body).toMatchObject({ id: sent.body.eventId, type: 'webhook.test', subject: { type: 'webhook', id: hook.id }, data: { endpointId: hook.id } });
    // Two signatures during the overlap; each secret verifies on its own with the official package.
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [rotated.body.secret, hook.secret]) expect(new Webhook(secret).verify(first.body, signatureHeaders(first))).toEqual(body);

    const deliveries = await waitUntil('the delivery to be marked delivered', async () => {
      const res = await o.api.get(`${path}/deliveries`);
      return res.body.deliveries.length === 1 && res.body.deliveries[0].state === 'delivered';
    }, 15_000).then(() => o.api.get(`${path}/deliveries`));
    expect(deliveries.body.deliveries[0]).toMatchObject({ id: `${hook.id}|${sent.body.eventId}`, eventId: sent.body.eventId, eventType: 'webhook.test', state: 'delivered', attempts: expect.any(Number), lastStatus: 204 });
    expect((await o.api.get(`/orgs/${o.orgId}/webhooks/${bystander.id}/deliveries`)).body.deliveries).toEqual([]);

    const again = await o.api.post(`${path}/deliveries/${encodeURIComponent(deliveries.body.deliveries[0].id)}/redeliver`);
    expect(again.status).toBe(202);
    await waitUntil('the redelivery to arrive', async () => receiver.received.length >= 2, 30_000);
    expect(receiver.received[1].headers['webhook-id']).toBe(sent.body.eventId);
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === sent.body.eventId)).toHaveLength(2);
  });

  it('replays the events of a window to one endpoint with the same ids and answers how many it queued', async () => {
    const o = await newOrg(h);
    const hook = await create(o, { url: `${receiver.url}?replay=1`, types: ['user.created', 'user.deleted'] });
    const at = Date.now() - 5000;
    const drafts = [0, 1, 2].map((i) => ({
      _id: eventId('user.created', o.orgId, `u-${i}`),
      type: 'user.created' as const,
      orgId: o.orgId,
      subject: { type: 'user' as const, id: `u-${i}` },
      changeId: null,
      requestId: null,
      actor: { type: 'system' as const, id: 'test' },
      data: { i },
      occurredAt: new Date(at + i),
    }));
    const mine = () => receiver.received.filter((r) => drafts.some((d) => d._id === r.headers['webhook-id']));
    await h.c.events.recorder.record(drafts);
    await waitUntil('the three events to arrive', async () => mine().length >= 3, 30_000);
    const res = await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/replay`, { since: new Date(at + 1).toISOString(), until: new Date(at + 10).toISOString(), types: ['user.created'] });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: 2 });
    await waitUntil('the two replayed events to arrive', async () => mine().length >= 5, 30_000);
    const replayed = mine().slice(3).map((r) => r.headers['webhook-id']);
    expect(replayed.sort()).toEqual([drafts[1]._id, drafts[2]._id].sort());
    // Nothing of another type or outside the window.
    const none = await o.api.post(`/orgs/${o.orgId}/webhooks/${hook.id}/replay`, { since: new Date(at + 1).toISOString(), types: ['user.deleted'] });
    expect(none.body).toEqual({ queued: 0 });
    const audit = await o.api.get(`/orgs/${o.orgId}/audit?targetId=${hook.id}&action=webhook.replayed`);
    expect(audit.body.events.map((e: { summary: { queued: number } }) => e.summary.queued)).toEqual([0, 2]);
  });
});
