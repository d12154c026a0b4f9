/**
 * Events out (issue 10), against the real app over HTTP, in-process workers, Redis, the MongoDB-wire
 * server and a local webhook receiver:
 *  (1) what the event log adds to a SCIM PATCH: database commands and latency per request, with the
 *      log switched off and on (no workers running, so only the request's own commands are counted);
 *  (2) a steady stream of single-member PATCHes at BENCH_EVENTS_RATE per second for
 *      BENCH_EVENTS_SECONDS: time from the SCIM response to the receiver getting the event, p50/p99,
 *      beside the same changes' propagation lag;
 *  (3) deliveries per second of a burst of BENCH_EVENTS_BURST events to one endpoint, then to ten.
 * Asserts nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';
import { startWorkers } from '../workers/run';
import { eventId } from '../src/events/event-ids';

const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 30);
const SECONDS = Number(process.env.BENCH_EVENTS_SECONDS ?? 20);
const BURST = Number(process.env.BENCH_EVENTS_BURST ?? 2000);
const COST_N = Number(process.env.BENCH_EVENTS_COST_N ?? 60);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SCIM = 'application/scim+json';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main() {
  const prefix = `benchevents${Date.now()}`;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: prefix, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  const c = await createContainer(config, { dbName: prefix, monitorCommands: true });
  await c.ensureIndexes();
  const base = await listen(http.createServer(buildApp(c)));

  // The receiver: when each event arrived, by event id, and which users each membership event named.
  const received = new Map<string, number>();
  const memberSeen = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const at = performance.now();
      const id = String(req.headers['webhook-id'] ?? '');
      const key = `${req.url}|${id}`;
      if (!received.has(key)) received.set(key, at);
      try {
        const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (e.type === 'group.members.added') for (const m of e.data?.members ?? []) if (!memberSeen.has(m.id)) memberSeen.set(m.id, at);
      } catch {
        /* counted by id all the same */
      }
      res.writeHead(204).end();
    });
  });
  const hooks = await listen(receiver);

  const { org } = await c.tenancy.ensureOrganization('bench-events');
  const { token } = await c.tenancy.createDirectory({ orgId: org._id, name: 'okta', provider: 'okta' });
  const admin = await c.rbac.createAdminKey(org._id, 'bench', 'preset:org-owner');
  const scim = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/scim/v2${path}`, { method, headers: { authorization: `Bearer ${token.token}`, 'content-type': SCIM }, body: body ? JSON.stringify(body) : undefined });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });

  const users: string[] = [];
  const needed = 2 * COST_N + RATE * SECONDS + 10;
  for (let i = 0; i < needed; i++) {
    const r = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `u${i}@example.com`, active: true });
    users.push(((await r.json()) as { id: string }).id);
  }
  const group = ((await (await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'stream' })).json()) as { id: string }).id;
  const addMember = (userId: string) => scim('PATCH', `/Groups/${group}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });

  // (1) Commands sent while a request runs (no workers yet, so nothing else talks to the database).
  let commands = 0;
  c.mongo.getClient().on('commandStarted', () => void commands++);
  let next = 0;
  async function cost(label: string) {
    const ms: number[] = [];
    const before = commands;
    for (let i = 0; i < COST_N; i++) {
      const t = performance.now();
      const r = await addMember(users[next++]);
      await r.arrayBuffer();
      ms.push(performance.now() - t);
    }
    const perRequest = (commands - before) / COST_N;
    console.log(`${label}: ${perRequest.toFixed(2)} database commands per PATCH, latency p50 ${pct(ms, 50).toFixed(1)} ms, mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)} ms`);
    return { perRequest, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
  }
  const record = c.events.recorder.record;
  c.events.recorder.record = async () => undefined;
  const off = await cost('(1) single-member PATCH, event log off');
  c.events.recorder.record = record;
  const on = await cost('(1) single-member PATCH, event log on ');
  console.log(`(1) ratio with the log: ${(on.perRequest / off.perRequest).toFixed(2)}x commands, ${(on.mean / off.mean).toFixed(2)}x mean latency (target at most 1.2x)`);

  const stop = startWorkers(c);
  // The setup's own events (users created, the cost PATCHes) are sequenced before any endpoint exists,
  // so the figures below time only their own deliveries.
  const drained = Date.now() + 300_000;
  while (((await c.events.models.drafts.countDocuments({})) > 0 || (await c.changeDocs.countDocuments({ status: 'pending' })) > 0) && Date.now() < drained) await sleep(200);
  const created = await api('POST', `/orgs/${org._id}/webhooks`, { url: `${hooks}/one`, description: 'bench' });
  if (created.status !== 201) throw new Error(`could not create the endpoint: ${created.status} ${await created.text()}`);
  await waitQuiet(received);

  // (2) A steady open-loop stream: each PATCH starts on schedule, whatever the previous one is doing.
  const answeredAt = new Map<string, number>();
  const changeIds: string[] = [];
  const interval = 1000 / RATE;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const userId = users[next++];
    inflight.push(
      addMember(userId).then(async (r) => {
        answeredAt.set(userId, performance.now());
        const id = r.headers.get('x-change-id');
        if (id) changeIds.push(id);
        await r.arrayBuffer();
      }),
    );
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 60_000;
  while ([...answeredAt.keys()].some((u) => !memberSeen.has(u)) && Date.now() < deadline) await sleep(50);
  const latencies = [...answeredAt.entries()].filter(([u]) => memberSeen.has(u)).map(([u, at]) => memberSeen.get(u)! - at);
  const lags = (await c.changeDocs.find({ _id: { $in: changeIds } }, { lagMs: 1 }).lean<Array<{ lagMs: number | null }>>()).map((d) => d.lagMs ?? NaN).filter((x) => !Number.isNaN(x));
  console.log(
    `(2) ${RATE} changes/s for ${SECONDS} s: ${latencies.length} of ${answeredAt.size} events received; SCIM response to receipt p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms (target p99 < 1000 ms); propagation lag of the same changes p50 ${pct(lags, 50).toFixed(0)} ms, p99 ${pct(lags, 99).toFixed(0)} ms`,
  );

  {
    // Where the time went: from the write to its sequencing and fan-out, and from there to delivery.
    const evs = new Map((await c.events.models.events.find({ orgId: org._id, type: 'group.members.added' }, { occurredAt: 1 }).lean<Array<{ _id: string; occurredAt: Date }>>()).map((e) => [e._id, new Date(e.occurredAt).getTime()]));
    const dels = await c.events.models.deliveries.find({ orgId: org._id, eventType: 'group.members.added' }, { eventId: 1, createdAt: 1, deliveredAt: 1 }).lean<Array<{ eventId: string; createdAt: Date; deliveredAt: Date | null }>>();
    const toFanOut = dels.filter((d) => evs.has(d.eventId)).map((d) => new Date(d.createdAt).getTime() - evs.get(d.eventId)!);
    const toDelivered = dels.filter((d) => d.deliveredAt).map((d) => new Date(d.deliveredAt!).getTime() - new Date(d.createdAt).getTime());
    const states: Record<string, number> = {};
    for (const d of await c.events.models.deliveries.find({ orgId: org._id, eventType: 'group.members.added' }, { state: 1 }).lean<Array<{ state: string }>>()) states[d.state] = (states[d.state] ?? 0) + 1;
    console.log(`(2) deliveries of those events by state: ${JSON.stringify(states)}; events in the log: ${evs.size}`);
    console.log(`(2) of which write to fan-out p50 ${pct(toFanOut, 50).toFixed(0)} ms, p99 ${pct(toFanOut, 99).toFixed(0)} ms; fan-out to delivered p50 ${pct(toDelivered, 50).toFixed(0)} ms, p99 ${pct(toDelivered, 99).toFixed(0)} ms`);
  }

  // (3) Bursts straight into the log (no SCIM in the way): deliveries per second to one endpoint, then ten.
  async function burst(label: string, endpoints: number) {
    const before = received.size;
    const tag = `${label}-${Date.now()}`;
    const at = Date.now();
    const drafts = Array.from({ length: BURST }, (_, i) => ({
      _id: eventId('user.updated', tag, i),
      type: 'user.updated' as const,
      orgId: org._id,
      subject: { type: 'user' as const, id: `subject-${i % 200}` },
      changeId: null,
      requestId: null,
      actor: { type: 'system' as const, id: 'bench' },
      data: { i },
      occurredAt: new Date(at + i),
    }));
    const t = performance.now();
    for (let i = 0; i < drafts.length; i += 500) await c.events.recorder.record(drafts.slice(i, i + 500));
    const want = before + BURST * endpoints;
    const until = Date.now() + 300_000;
    while (received.size < want && Date.now() < until) await sleep(50);
    const s = (performance.now() - t) / 1000;
    console.log(`(3) ${BURST} events to ${endpoints} endpoint(s): ${received.size - before} deliveries in ${s.toFixed(1)} s = ${((received.size - before) / s).toFixed(0)} deliveries/s`);
  }
  await burst('one', 1);
  for (let i = 2; i <= 10; i++) await api('POST', `/orgs/${org._id}/webhooks`, { url: `${hooks}/e${i}` });
  await waitQuiet(received);
  await burst('ten', 10);

  await stop();
  await c.mongo.db!.dropDatabase().catch(() => undefined);
  await c.close();
  process.exit(0);
}

/** Until nothing new has arrived for a second (the earlier figures' events drained). */
async function waitQuiet(received: Map<string, number>) {
  let last = -1;
  while (received.size !== last) {
    last = received.size;
    await sleep(1000);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
