/**
 * Propagation figures (propagation issue), against the real app, workers, Redis and MongoDB-wire server:
 *  (a) a steady rate of SCIM membership changes: lag p50/p99 from acceptance to applied;
 *  (b) an initial sync of users and groups through SCIM: time until everything is propagated;
 *  (c) a large group bound to a role: time until every member holds it;
 *  (d) deprovisioning: time until denied and time until the user's keys are revoked;
 * with the bare queue throughput (no-op jobs through the same BullMQ/Redis) measured in the same run.
 * Sizes default to the issue's and can be scaled down: BENCH_SCALE=0.1.
 */
import { Queue, Worker } from 'bullmq';
import request from 'supertest';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';
import { startWorkers } from '../workers/run';
import { inParallel } from '../src/shared/in-parallel';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RATE = Math.max(1, Math.round(200 * SCALE));
const STEADY_SECONDS = Math.max(5, Math.round(60 * SCALE));
const SYNC_USERS = Math.round(20_000 * SCALE);
const SYNC_GROUPS = Math.round(2_000 * SCALE);
const BIG_GROUP = Math.round(50_000 * SCALE);
const SYNC_CONCURRENCY = Number(process.env.BENCH_SYNC_CONCURRENCY ?? 16);
/** Which figures to run, e.g. BENCH_ONLY=bc (default: all of a, b, c, d). */
const ONLY = process.env.BENCH_ONLY ?? 'abcd';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const prefix = `benchprop${Date.now()}`;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: prefix });
  const c = await createContainer(config, { dbName: prefix });
  await c.ensureIndexes();
  const app = buildApp(c);
  const stop = startWorkers(c);
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    process.stdout.write(`${s}\n`);
  };

  // Ceiling: no-op jobs through the same Redis, to compare our throughput with the queue's own.
  {
    const q = new Queue('ceiling', { connection: { url: config.REDIS_URL }, prefix });
    let done = 0;
    const w = new Worker('ceiling', async () => void done++, { connection: { url: config.REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: config.WORKER_CONCURRENCY });
    const n = 5000;
    const t = Date.now();
    for (let i = 0; i < n; i += 500) await q.addBulk(Array.from({ length: 500 }, (_, j) => ({ name: 'noop', data: { i: i + j } })));
    while (done < n) await sleep(20);
    say(`queue ceiling: ${((n / (Date.now() - t)) * 1000).toFixed(0)} no-op jobs/s`);
    await w.close();
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }

  const { org } = await c.tenancy.ensureOrganization('bench-prop');
  const { directory, token } = await c.tenancy.createDirectory({ orgId: org._id, name: 'okta', provider: 'okta' });
  const admin = await c.rbac.createAdminKey(org._id, 'bench', 'preset:org-owner');
  const scim = (m: 'post' | 'patch', p: string, body: unknown) =>
    request(app)[m](`/scim/v2${p}`).set('Authorization', `Bearer ${token.token}`).set('Content-Type', 'application/scim+json').send(body as object);
  const api = (m: 'post' | 'get', p: string, body?: unknown) => request(app)[m](`/api/v1${p}`).set('Authorization', `Bearer ${admin.secret}`).send(body as object);
  const project = (await api('post', `/orgs/${org._id}/projects`, { name: 'P' })).body.id;
  const waitApplied = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await c.changeDocs.countDocuments({ _id: { $in: ids }, status: { $ne: 'applied' } })) === 0) return true;
      await sleep(250);
    }
    return false;
  };

  // (b) initial sync through SCIM.
  if (ONLY.includes('b')) {
    const t = Date.now();
    // As an IdP's initial push does: many requests in flight (Okta and Entra both send in parallel).
    const userIds: string[] = new Array(SYNC_USERS);
    await inParallel(Array.from({ length: SYNC_USERS }, (_, i) => i), SYNC_CONCURRENCY, async (i) => {
      const r = await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `sync-${i}@example.com`, active: true });
      userIds[i] = r.body.id;
    });
    const usersMs = Date.now() - t;
    const changeIds: string[] = [];
    await inParallel(Array.from({ length: SYNC_GROUPS }, (_, g) => g), SYNC_CONCURRENCY, async (g) => {
      const members = Array.from({ length: 20 }, (_, k) => ({ value: userIds[(g * 20 + k) % userIds.length] }));
      const r = await scim('post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `sync-group-${g}`, members });
      if (r.headers['x-change-id']) changeIds.push(r.headers['x-change-id']);
    });
    const acceptedMs = Date.now() - t;
    const all = (await c.changeDocs.find({ orgId: org._id }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((x) => x._id);
    const ok = await waitApplied(all, 30 * 60_000);
    say(`(b) initial sync of ${SYNC_USERS} users and ${SYNC_GROUPS} groups (20 members each), ${SYNC_CONCURRENCY} requests in flight: users accepted in ${usersMs} ms, groups by ${acceptedMs} ms, everything propagated after ${Date.now() - t} ms${ok ? '' : ' (TIMED OUT)'}`);
  }

  // (a) steady membership changes.
  if (ONLY.includes('a')) {
    const group = (await scim('post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'steady' })).body.id;
    await api('post', `/orgs/${org._id}/bindings`, { principal: { type: 'group', id: group }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
    const users = (await c.models.users.find({ orgId: org._id }, { _id: 1 }).limit(RATE * STEADY_SECONDS).lean<Array<{ _id: string }>>()).map((u) => u._id);
    const ids: string[] = [];
    const t = Date.now();
    let sent = 0;
    while (Date.now() - t < STEADY_SECONDS * 1000) {
      const due = Math.floor(((Date.now() - t) / 1000) * RATE);
      const batch = [];
      while (sent < due) {
        const u = users[sent % users.length];
        const op = Math.floor(sent / users.length) % 2 === 0 ? 'add' : 'remove';
        batch.push(
          scim('patch', `/Groups/${group}`, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [op === 'add' ? { op: 'add', path: 'members', value: [{ value: u }] } : { op: 'remove', path: `members[value eq "${u}"]` }],
          }).then((r) => r.headers['x-change-id'] && ids.push(r.headers['x-change-id'])),
        );
        sent++;
      }
      await Promise.all(batch);
      await sleep(5);
    }
    const achieved = sent / ((Date.now() - t) / 1000);
    await waitApplied(ids, 10 * 60_000);
    const lags = (await c.changeDocs.find({ _id: { $in: ids } }, { lagMs: 1 }).lean<Array<{ lagMs: number }>>()).map((x) => x.lagMs);
    say(`(a) ${achieved.toFixed(0)} membership changes/s for ${STEADY_SECONDS} s (target rate ${RATE}/s): lag p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms over ${lags.length} changes`);
  }

  // (c) a big group bound to a role.
  if (ONLY.includes('c')) {
    const now = new Date();
    const gid = 'big-group';
    const ids = Array.from({ length: BIG_GROUP }, (_, i) => `big-${i}`);
    for (let i = 0; i < ids.length; i += 1000) {
      await c.models.users.collection.insertMany(ids.slice(i, i + 1000).map((id) => ({ _id: id, orgId: org._id, directoryId: directory._id, userName: `${id}@x`, userNameKey: `${id}@x`, active: true, version: 1, createdAt: now, lastModifiedAt: now })) as never[]);
      await c.models.memberships.collection.insertMany(ids.slice(i, i + 1000).map((id) => ({ _id: `${gid}|${id}`, orgId: org._id, directoryId: directory._id, groupId: gid, memberId: id, memberType: 'User', createdAt: now })) as never[]);
    }
    await c.models.groups.collection.insertOne({ _id: gid, orgId: org._id, directoryId: directory._id, displayName: 'Big', displayNameKey: 'big', memberCount: BIG_GROUP, version: 1, createdAt: now, lastModifiedAt: now } as never);
    const t = Date.now();
    const r = await api('post', `/orgs/${org._id}/bindings`, { principal: { type: 'group', id: gid }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-viewer' });
    const ok = await waitApplied([r.headers['x-change-id']], 60 * 60_000);
    say(`(c) ${BIG_GROUP}-member group bound to a role: all members hold it after ${Date.now() - t} ms${ok ? '' : ' (TIMED OUT)'}`);
  }

  // (d) deprovisioning.
  if (ONLY.includes('d')) {
    const u = (await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'leaver@example.com', active: true })).body.id;
    await api('post', `/orgs/${org._id}/bindings`, { principal: { type: 'user', id: u }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-owner' });
    await api('post', `/orgs/${org._id}/api-keys`, { projectId: project, name: 'k', owner: { type: 'user', id: u }, permissions: 'all' });
    const t = Date.now();
    const res = await scim('patch', `/Users/${u}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    const denied = (await api('post', '/access/check', { subject: { userId: u }, permission: 'api.model.read', projectId: project })).body.allowed === false;
    const deniedMs = Date.now() - t;
    await waitApplied([res.headers['x-change-id']], 60_000);
    const revokedMs = Date.now() - t;
    const keys = await c.rbac.listApiKeys(org._id, { ownerId: u });
    say(`(d) deprovisioning: denied ${denied ? `on the first check after the PATCH returned (${deniedMs} ms after sending it)` : 'NOT denied'}; keys revoked (${keys.every((k) => k.revokedAt)}) after ${revokedMs} ms`);
  }

  await stop();
  await c.mongo.db!.dropDatabase().catch(() => undefined);
  await c.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
