/**
 * SCIM list pages as a directory grows (what Okta's import and Entra's pagination walk), beside a
 * same-run ceiling: a bare Express handler doing one indexed findOne on the same connection. For each
 * directory size: the first page after the list order was lost (it is rebuilt), pages at the start,
 * middle and end, count=0, and a filtered page, each as p50/p99 over BENCH_PAGE_REPEATS requests.
 * Then the removal of 1,000 members from a group of 2,000 in Okta's filter style (one
 * `members[value eq "..."]` operation each) and in the value-list form. Asserts nothing.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config';
import { createContainer, type Container } from '../src/container';
import { buildApp } from '../src/app';

const SIZES = (process.env.BENCH_PAGE_SIZES ?? '10000,100000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_PAGE_REPEATS ?? 20);
const PAGE = 100;

interface Timing { p50: number; p99: number }

async function listen(app: express.Express | ReturnType<typeof buildApp>): Promise<string> {
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function timed(n: number, send: (i: number) => Promise<Response>): Promise<Timing> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await send(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p99: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] };
}

async function seed(c: Container, orgId: string, directoryId: string, n: number, tag: string) {
  const base = Date.now() - n;
  for (let i = 0; i < n; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const id = `${tag}-${String(j).padStart(7, '0')}`;
      docs.push({ _id: id, orgId, directoryId, userName: `${id}@example.com`, userNameKey: `${id}@example.com`, externalId: `ext-${id}`, active: true, version: 1, createdAt: new Date(base + j), lastModifiedAt: new Date() });
    }
    await c.models.users.collection.insertMany(docs as never[]);
  }
  await c.store.listing.invalidate('users', directoryId);
}

async function main() {
  const dbName = `benchpages${Date.now()}`;
  const c = await createContainer(loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: dbName }), { dbName });
  await c.ensureIndexes();
  const scimUrl = `${await listen(buildApp(c))}/scim/v2`;
  const bare = express();
  bare.get('/findone', async (req, res) => {
    res.json(await c.models.users.findOne({ directoryId: String(req.query.d), userNameKey: String(req.query.u) }).lean());
  });
  const bareUrl = await listen(bare);
  const { org } = await c.tenancy.ensureOrganization('bench-pages');
  console.log(`backend: ${c.store.backend}; ${REPEATS} requests per figure, count=${PAGE}; times in ms (p50 / p99)`);

  for (const n of SIZES) {
    const { directory, token: { token } } = await c.tenancy.createDirectory({ orgId: org._id, name: `pages-${n}`, provider: 'okta' });
    const tag = `u${n}`;
    const t0 = performance.now();
    await seed(c, org._id, directory._id, n, tag);
    const seedMs = performance.now() - t0;
    const get = (path: string) => fetch(`${scimUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const userAt = (i: number) => `${tag}-${String(Math.floor((i * 7919) % n)).padStart(7, '0')}`;
    const t1 = performance.now();
    await (await get(`/Users?count=${PAGE}`)).arrayBuffer();
    const firstMs = performance.now() - t1;
    const rows: Array<[string, Timing]> = [
      ['bare findOne (ceiling)', await timed(REPEATS, (i) => fetch(`${bareUrl}/findone?d=${directory._id}&u=${encodeURIComponent(`${userAt(i)}@example.com`)}`))],
      // Each request a different page, so every user on it is read for the first time (no cache hit).
      ['page at the start (cold)', await timed(REPEATS, (i) => get(`/Users?startIndex=${1 + (REPEATS - 1 - i) * PAGE}&count=${PAGE}`))],
      ['page in the middle (cold)', await timed(REPEATS, (i) => get(`/Users?startIndex=${Math.floor(n / 2) + (REPEATS - 1 - i) * PAGE + 1}&count=${PAGE}`))],
      ['page at the end (cold)', await timed(REPEATS, (i) => get(`/Users?startIndex=${n - (i + 1) * PAGE + 1}&count=${PAGE}`))],
      // Pages read before, as a repeated import walks them: users come from the fresh cache.
      ['page in the middle (again)', await timed(REPEATS, (i) => get(`/Users?startIndex=${Math.floor(n / 2) + i * PAGE + 1}&count=${PAGE}`))],
      ['count=0', await timed(REPEATS, () => get('/Users?count=0'))],
      ['filtered: userName eq', await timed(REPEATS, (i) => get(`/Users?filter=${encodeURIComponent(`userName eq "${userAt(i)}@example.com"`)}`))],
      ['filtered: externalId eq', await timed(REPEATS, (i) => get(`/Users?filter=${encodeURIComponent(`externalId eq "ext-${userAt(i)}"`)}`))],
    ];
    console.log(`\n${n.toLocaleString('en-US')} users (seeded in ${(seedMs / 1000).toFixed(1)} s; first page, rebuilding the list order: ${firstMs.toFixed(0)} ms)`);
    for (const [name, t] of rows) console.log(`  ${name.padEnd(28)} ${t.p50.toFixed(1).padStart(8)} / ${t.p99.toFixed(1)}`);
  }

  const { directory, token: { token } } = await c.tenancy.createDirectory({ orgId: org._id, name: 'removals', provider: 'okta' });
  const send = (method: string, path: string, body: unknown) =>
    fetch(`${scimUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) });
  const ids: string[] = [];
  for (let i = 0; i < 2000; i++) ids.push(((await (await send('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `member-${i}@example.com` })).json()) as { id: string }).id);
  for (const form of ['filter style (one operation per member)', 'value list (one operation)'] as const) {
    const group = (await (await send('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: form, members: ids.map((value) => ({ value })) })).json()) as { id: string };
    const gone = ids.slice(0, 1000);
    const Operations = form.startsWith('filter') ? gone.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })) : [{ op: 'remove', path: 'members', value: gone.map((value) => ({ value })) }];
    const t = performance.now();
    const res = await send('PATCH', `/Groups/${group.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
    await res.arrayBuffer();
    console.log(`\nremove 1,000 of 2,000 members, ${form}: ${(performance.now() - t).toFixed(0)} ms (HTTP ${res.status})`);
  }
  await c.mongo.db!.dropDatabase();
  await c.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
