import type { DeliveryDoc } from '../../src/events/event.model';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
});
afterAll(async () => h.close());

function delivery(orgId: string, endpointId: string, n: number, state: DeliveryDoc['state'], createdAt: Date): DeliveryDoc {
  return {
    _id: `${endpointId}|evt_${n}`,
    orgId,
    endpointId,
    eventId: `evt_${n}`,
    eventType: 'user.updated',
    seq: n,
    lane: `${endpointId}|user:u${n}`,
    subject: { type: 'user', id: `u${n}` },
    state,
    attempts: state === 'pending' ? 0 : 1,
    firstAttemptAt: null,
    nextAttemptAt: null,
    lastAttemptAt: null,
    lastStatus: null,
    lastError: null,
    lastLatencyMs: null,
    deliveredAt: null,
    createdAt,
  };
}

describe('webhook deliveries do not pile up', () => {
  test('deleting an endpoint through the admin API deletes its deliveries, and only its own', async () => {
    const { orgId } = await h.directory();
    const { api } = await h.adminKey(orgId);
    const a = (await api.post(`/orgs/${orgId}/webhooks`, { url: 'http://127.0.0.1:9/a' })).body.id as string;
    const b = (await api.post(`/orgs/${orgId}/webhooks`, { url: 'http://127.0.0.1:9/b' })).body.id as string;
    const now = new Date();
    await h.c.events.models.deliveries.collection.insertMany([
      delivery(orgId, a, 1, 'pending', now),
      delivery(orgId, a, 2, 'delivered', now),
      delivery(orgId, b, 3, 'pending', now),
    ] as never[]);
    expect((await api.delete(`/orgs/${orgId}/webhooks/${a}`)).status).toBe(204);
    expect(await h.c.events.models.deliveries.countDocuments({ endpointId: a })).toBe(0);
    expect(await h.c.events.models.deliveries.countDocuments({ endpointId: b })).toBe(1);
  });

  test('retention deletes finished deliveries older than the log keeps events, never pending ones', async () => {
    const { orgId } = await h.directory();
    const old = new Date(Date.now() - 31 * 86_400_000);
    const young = new Date();
    await h.c.events.models.deliveries.collection.insertMany([
      delivery(orgId, 'ep1', 11, 'delivered', old),
      delivery(orgId, 'ep1', 12, 'failed', old),
      delivery(orgId, 'ep1', 13, 'pending', old),
      delivery(orgId, 'ep1', 14, 'delivered', young),
    ] as never[]);
    expect(await h.c.events.cleanup.purge()).toBe(2);
    const left = await h.c.events.models.deliveries.find({ orgId }, { seq: 1, state: 1 }).lean<DeliveryDoc[]>();
    expect(left.map((d) => [d.seq, d.state]).sort()).toEqual([
      [13, 'pending'],
      [14, 'delivered'],
    ]);
  });
});
