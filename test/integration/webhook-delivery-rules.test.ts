import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { createEndpoint, newOrgId } from '../support/webhook-fixtures';
import { createWebhookDeliveries } from '../../src/events/webhook-deliveries';
import { sendWebhook, type SendOutcome, type SendRequest } from '../../src/events/webhook-sender';
import { eventId } from '../../src/events/event-ids';
import type { DeliveryDoc } from '../../src/events/event.model';
import type { EventDoc } from '../../src/events/event-types';
import type { Resolver } from '../../src/events/url-safety';

/**
 * The delivery rules one attempt at a time, on the real MongoDB-wire server: the engine is built
 * here with its clock, DNS and (where the network is not the point) its sender injected, and its
 * jobs recorded instead of run, so three days of retries and five days of failures take milliseconds.
 */
let h: Harness;
const receivers: Receiver[] = [];
beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await h.close();
});

const DAY = 86_400_000;

function engine(opts: { allowPrivate?: boolean; resolve?: Resolver; send?: (r: SendRequest) => Promise<SendOutcome>; timeoutMs?: number } = {}) {
  let clock = new Date('2025-06-01T00:00:00Z').getTime();
  const jobs: Array<{ deliveryId: string; attempt: number; delayMs: number }> = [];
  const sent: SendRequest[] = [];
  const queue = {
    deliver: async (deliveryId: string, attempt: number, delayMs = 0) => void jobs.push({ deliveryId, attempt, delayMs }),
    deliverMany: async (items: Array<{ deliveryId: string; attempt: number; delayMs?: number }>) => void jobs.push(...items.map((i) => ({ ...i, delayMs: i.delayMs ?? 0 }))),
    queue: { addBulk: async (items: Array<{ data: { deliveryId: string; attempt: number }; opts: { delay: number } }>) => void jobs.push(...items.map((i) => ({ ...i.data, delayMs: i.opts.delay }))) },
  };
  const webhooks = createWebhookDeliveries({
    models: h.c.events.models,
    queue: queue as never,
    eventLog: h.c.events.log,
    audit: h.c.audit,
    config: { WEBHOOK_ALLOW_PRIVATE_URLS: opts.allowPrivate ?? true, WEBHOOK_TIMEOUT_MS: opts.timeoutMs ?? 2000 },
    log: h.c.log,
    claims: { redis: h.c.redis, prefix: h.config.QUEUE_PREFIX },
    resolve: opts.resolve,
    send: async (r) => {
      sent.push(r);
      return (opts.send ?? sendWebhook)(r);
    },
    now: () => new Date(clock),
    random: () => 0.5,
  });
  return {
    webhooks,
    jobs,
    sent,
    advance: (ms: number) => void (clock += ms),
    at: () => clock,
  };
}

/** Events written straight into the log (seq given), as the sequencer would have. */
async function logEvents(orgId: string, subjects: string[]): Promise<EventDoc[]> {
  const tag = randomBytes(4).toString('hex');
  const evs: EventDoc[] = subjects.map((s, i) => ({
    _id: eventId('user.updated', orgId, s, tag, i),
    type: 'user.updated',
    orgId,
    subject: { type: 'user', id: s },
    changeId: null,
    requestId: null,
    actor: { type: 'system', id: 'test' },
    data: { n: i },
    occurredAt: new Date(),
    seq: i + 1,
    block: 0,
  }));
  await h.c.events.models.events.collection.insertMany(evs as never[]);
  return evs;
}

const deliveryOf = (id: string) => h.c.events.models.deliveries.findOne({ _id: id }).lean<DeliveryDoc>();
const fail500 = async (): Promise<SendOutcome> => ({ kind: 'response', status: 500, retryAfter: undefined, location: undefined, body: 'nope', latencyMs: 3 });
const ok200 = async (): Promise<SendOutcome> => ({ kind: 'response', status: 200, retryAfter: undefined, location: undefined, body: '', latencyMs: 2 });

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

describe('webhook delivery rules', () => {
  it('refuses to send when the host name resolves to a loopback address and private URLs are not allowed', async () => {
    const orgId = newOrgId();
    const e = engine({ allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }], send: ok200 });
    const ep = await createEndpoint(h, orgId, 'https://hooks.example.com/in');
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);

    expect(e.sent).toEqual([]);
    expect(await deliveryOf(`${ep._id}|${ev._id}`)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastStatus: null,
      lastError: 'refused: hooks.example.com resolves to a loopback, link-local or private address',
    });
  });

  it('checks DNS again at every attempt, so a name rebound to a private address is refused', async () => {
    const orgId = newOrgId();
    const answers = ['93.184.216.34', '10.1.2.3'];
    const e = engine({ allowPrivate: false, resolve: async () => [{ address: answers.shift()!, family: 4 }], send: fail500 });
    const ep = await createEndpoint(h, orgId, 'https://hooks.example.com/in');
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    // Connected to the address that was checked, with the URL's own host name for Host and TLS.
    expect(e.sent.map((s) => [s.address, s.url.hostname])).toEqual([['93.184.216.34', 'hooks.example.com']]);

    e.advance(10_000);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 2);
    expect(e.sent).toHaveLength(1);
    expect((await deliveryOf(`${ep._id}|${ev._id}`))?.lastError).toBe('refused: hooks.example.com resolves to a loopback, link-local or private address');
  });

  it('connects to the resolved address while the Host header keeps the URL host', async () => {
    const orgId = newOrgId();
    const rx = await receiver();
    const port = new URL(rx.url).port;
    const e = engine({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const ep = await createEndpoint(h, orgId, `http://receiver.invalid:${port}/hooks?tenant=7`);
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);

    expect(rx.requests.map((r) => r.headers.host)).toEqual([`receiver.invalid:${port}`]);
    expect((await deliveryOf(`${ep._id}|${ev._id}`))?.state).toBe('delivered');
  });

  it('runs each attempt once: a repeated job for an attempt that ran sends nothing', async () => {
    const orgId = newOrgId();
    const e = engine({ send: fail500 });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.fanOut([ev]); // the sequencer may fan out a claim twice
    expect(await h.c.events.models.deliveries.countDocuments({ endpointId: ep._id })).toBe(1);
    // Copies of one job side by side (a sweep's, a stalled one's): one of them sends.
    await Promise.all(Array.from({ length: 4 }, () => e.webhooks.deliver(`${ep._id}|${ev._id}`, 1)));
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    expect(e.sent).toHaveLength(1);
    expect(e.jobs.filter((j) => j.attempt === 2)).toEqual([{ deliveryId: `${ep._id}|${ev._id}`, attempt: 2, delayMs: 5000 }]);
  });

  it('sends nothing for a subject while an earlier event of it is undelivered, and hands the lane on when that one ends', async () => {
    const orgId = newOrgId();
    let status = 500;
    const e = engine({ send: async () => ({ kind: 'response', status, retryAfter: undefined, location: undefined, body: '', latencyMs: 1 }) });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [first, second, other] = await logEvents(orgId, ['u1', 'u1', 'u2']);
    await e.webhooks.fanOut([first, second, other]);
    // One job per lane from the fan-out: the first of u1 and the one of u2.
    expect(e.jobs.map((j) => j.deliveryId).sort()).toEqual([`${ep._id}|${first._id}`, `${ep._id}|${other._id}`].sort());

    await e.webhooks.deliver(`${ep._id}|${first._id}`, 1); // fails: u1 is blocked behind it
    await e.webhooks.deliver(`${ep._id}|${second._id}`, 1);
    await e.webhooks.deliver(`${ep._id}|${other._id}`, 1); // another lane goes on regardless
    expect(e.sent.map((s) => JSON.parse(s.body).id)).toEqual([first._id, other._id]);

    status = 200;
    e.jobs.length = 0;
    e.advance(1000);
    // The job that delivers the lane's head sends the next one itself (no queue round trip per event).
    await e.webhooks.deliver(`${ep._id}|${first._id}`, 2);
    expect(e.jobs).toEqual([]);
    expect(e.sent.map((s) => JSON.parse(s.body).id)).toEqual([first._id, other._id, first._id, second._id]);
    // A copy of the second's job (the fan-out's, the sweeper's) finds it done and sends nothing more.
    await e.webhooks.deliver(`${ep._id}|${second._id}`, 1);
    expect(e.sent).toHaveLength(4);
  });

  it('gives up three days after the first attempt, keeps the last error, and lets the lane go on', async () => {
    const orgId = newOrgId();
    const e = engine({ send: fail500 });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [a, b] = await logEvents(orgId, ['u1', 'u1']);
    await e.webhooks.fanOut([a, b]);
    const id = `${ep._id}|${a._id}`;
    let attempt = 1;
    for (;;) {
      await e.webhooks.deliver(id, attempt);
      const d = (await deliveryOf(id))!;
      if (d.state !== 'pending') break;
      e.advance(new Date(d.nextAttemptAt!).getTime() - e.at());
      attempt += 1;
    }
    const d = (await deliveryOf(id))!;
    expect(d).toMatchObject({ state: 'failed', attempts: 12, lastStatus: 500, lastError: 'HTTP 500: nope', nextAttemptAt: null });
    expect(new Date(d.lastAttemptAt!).getTime() - new Date(d.firstAttemptAt!).getTime()).toBe(3 * DAY);
    expect(e.jobs[e.jobs.length - 1]).toEqual({ deliveryId: `${ep._id}|${b._id}`, attempt: 1, delayMs: 0 });
  });

  it('disables an endpoint whose every delivery has failed for five days, with an audit record', async () => {
    const orgId = newOrgId();
    const e = engine({ send: fail500 });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [ev1, ev2] = await logEvents(orgId, ['u1', 'u2']);
    await e.webhooks.fanOut([ev1, ev2]);
    await e.webhooks.deliver(`${ep._id}|${ev1._id}`, 1);
    expect((await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean())?.failingSince?.getTime()).toBe(e.at());

    e.advance(5 * DAY - 1);
    await e.webhooks.deliver(`${ep._id}|${ev2._id}`, 1);
    expect((await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean())?.status).toBe('active');
    e.advance(1);
    await e.webhooks.deliver(`${ep._id}|${ev1._id}`, 2);
    expect(await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean()).toMatchObject({ status: 'disabled', disabledReason: 'every delivery failed for 5 days' });
    const { events } = await h.c.audit.list(orgId, { action: 'webhook.disabled', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ target: { type: 'webhook', id: ep._id }, summary: { after: { status: 'disabled', disabledReason: 'every delivery failed for 5 days' } } });
  });

  it('writes one audit record when several deliveries at once are answered 410 Gone', async () => {
    const orgId = newOrgId();
    const rx = await receiver(() => ({ status: 410 }));
    const e = engine();
    const ep = await createEndpoint(h, orgId, rx.url);
    const evs = await logEvents(orgId, ['u1', 'u2', 'u3']);
    await e.webhooks.fanOut(evs);
    await Promise.all(evs.map((ev) => e.webhooks.deliver(`${ep._id}|${ev._id}`, 1)));
    expect(rx.requests).toHaveLength(3);
    expect((await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean())?.status).toBe('disabled');
    expect((await h.c.audit.list(orgId, { action: 'webhook.disabled', limit: 10 })).events).toHaveLength(1);
  });

  it('clears the failing mark on any success', async () => {
    const orgId = newOrgId();
    let ok = false;
    const e = engine({ send: async () => (ok ? ok200() : fail500()) });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    ok = true;
    e.advance(4 * DAY);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 2);
    expect(await h.c.events.models.endpoints.findOne({ _id: ep._id }).lean()).toMatchObject({ status: 'active', failingSince: null });
  });

  it('does not follow a redirect, counting it as a failed attempt', async () => {
    const orgId = newOrgId();
    const target = await receiver();
    const rx = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const e = engine();
    const ep = await createEndpoint(h, orgId, rx.url);
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    expect(rx.requests).toHaveLength(1);
    expect(target.requests).toEqual([]);
    expect(await deliveryOf(`${ep._id}|${ev._id}`)).toMatchObject({ state: 'pending', lastStatus: 302, lastError: 'HTTP 302 (redirects are not followed)' });
  });

  it('reads only the start of a large error answer', async () => {
    const orgId = newOrgId();
    const rx = await receiver(() => ({ status: 500, body: 'x'.repeat(2_000_000) }));
    const e = engine();
    const ep = await createEndpoint(h, orgId, rx.url);
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    expect((await deliveryOf(`${ep._id}|${ev._id}`))?.lastError).toBe(`HTTP 500: ${'x'.repeat(500)}`);
  });

  it('counts a receiver that does not answer within the timeout as a failed attempt', async () => {
    const orgId = newOrgId();
    const rx = await receiver(() => 'hang');
    const e = engine({ timeoutMs: 300 });
    const ep = await createEndpoint(h, orgId, rx.url);
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    await e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    expect(await deliveryOf(`${ep._id}|${ev._id}`)).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null, lastError: 'no answer within 300 ms' });
  });

  it('tries again an attempt whose worker died while sending, once its lease has run out', async () => {
    const orgId = newOrgId();
    // The first attempt never comes back (the worker was SIGKILLed mid-send); the next one succeeds.
    let killed = false;
    const e = engine({ send: async () => (killed ? ok200() : ((killed = true), new Promise<SendOutcome>(() => undefined))) });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const [ev] = await logEvents(orgId, ['u1']);
    await e.webhooks.fanOut([ev]);
    void e.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    await waitUntil('the attempt is under way', async () => e.sent.length === 1, 10_000, 20);
    expect(await deliveryOf(`${ep._id}|${ev._id}`)).toMatchObject({ state: 'pending', attempts: 1 });
    // BullMQ hands the stalled job to another worker: the same attempt, which must not send twice.
    const other = engine({ send: ok200 });
    await other.webhooks.deliver(`${ep._id}|${ev._id}`, 1);
    expect(other.sent).toEqual([]);

    other.advance(2000 + 5000 + 5000 + 1); // timeout + lease margin + sweep grace
    await other.webhooks.sweep();
    const again = other.jobs.filter((j) => j.deliveryId === `${ep._id}|${ev._id}`);
    expect(again).toEqual([{ deliveryId: `${ep._id}|${ev._id}`, attempt: 2, delayMs: 0 }]);
    await other.webhooks.deliver(`${ep._id}|${ev._id}`, 2);
    expect(await deliveryOf(`${ep._id}|${ev._id}`)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200 });
  });

  it('queues again, at the next sweep, a lane head nobody queued and a retry whose time is long past', async () => {
    const orgId = newOrgId();
    const e = engine({ send: fail500 });
    const ep = await createEndpoint(h, orgId, 'http://127.0.0.1:9/in');
    const paused = await createEndpoint(h, orgId, 'http://127.0.0.1:9/paused', { status: 'paused' });
    const [a, b, c] = await logEvents(orgId, ['u1', 'u1', 'u2']);
    await e.webhooks.fanOut([a, b, c]);
    await e.webhooks.deliver(`${ep._id}|${c._id}`, 1); // failed once; its retry job (recorded, never run) is "lost"
    e.jobs.length = 0;
    e.advance(20_000); // past the retry (5 s) and the grace (5 s)
    expect(await e.webhooks.sweep()).toBeGreaterThanOrEqual(2);
    const mine = e.jobs.filter((j) => j.deliveryId.startsWith(`${ep._id}|`) || j.deliveryId.startsWith(`${paused._id}|`));
    // The head of u1 (never attempted) and u2's retry; not u1's second event, nothing for the paused endpoint.
    expect(mine.map((j) => [j.deliveryId, j.attempt]).sort()).toEqual([[`${ep._id}|${a._id}`, 1], [`${ep._id}|${c._id}`, 2]].sort());
  });
});
