/**
 * Where the database time of one SCIM write goes: the MongoDB commands each operation sends, how many,
 * and their mean latency (one at a time, so latency approximates the server's cost), for a one-member
 * group PATCH (API side), applying that change (worker side) and POST /Users. This is the breakdown
 * behind the propagation figures; it asserts nothing.
 */
import request from 'supertest';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';

const N = Number(process.env.BENCH_OPS ?? 50);

async function main() {
  const prefix = `benchops${Date.now()}`;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: prefix });
  const c = await createContainer(config, { dbName: prefix, monitorCommands: true });
  await c.ensureIndexes();
  const app = buildApp(c);

  const stats = new Map<string, { n: number; ms: number }>();
  const started = new Map<number, { key: string; t: number }>();
  const client = c.mongo.getClient();
  client.on('commandStarted', (e) => {
    const target = (e.command as Record<string, unknown>)[e.commandName];
    started.set(e.requestId, { key: `${e.commandName} ${typeof target === 'string' ? target : ''}`, t: performance.now() });
  });
  client.on('commandSucceeded', (e) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    const x = stats.get(s.key) ?? { n: 0, ms: 0 };
    x.n += 1;
    x.ms += performance.now() - s.t;
    stats.set(s.key, x);
  });
  const report = (label: string) => {
    const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const ms = rows.reduce((a, [, v]) => a + v.ms, 0) / N;
    const commands = rows.reduce((a, [, v]) => a + v.n, 0) / N;
    console.log(`\n${label}: ${ms.toFixed(1)} ms of database time and ${commands.toFixed(1)} commands per operation`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(36)} ${(v.n / N).toFixed(2)} per op   ${(v.ms / v.n).toFixed(2)} ms each`);
    stats.clear();
  };

  const { org } = await c.tenancy.ensureOrganization('bench-ops');
  const { token } = await c.tenancy.createDirectory({ orgId: org._id, name: 'okta', provider: 'okta' });
  const admin = await c.rbac.createAdminKey(org._id, 'bench', 'preset:org-owner');
  const scim = (m: 'post' | 'patch', p: string, body: unknown) =>
    request(app)[m](`/scim/v2${p}`).set('Authorization', `Bearer ${token.token}`).set('Content-Type', 'application/scim+json').send(body as object);
  const api = (p: string, body: unknown) => request(app).post(`/api/v1${p}`).set('Authorization', `Bearer ${admin.secret}`).send(body as object);
  const project = (await api(`/orgs/${org._id}/projects`, { name: 'P' })).body.id;
  const users: string[] = [];
  for (let i = 0; i < 100 + N; i++) users.push((await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `u${i}@example.com`, active: true })).body.id);
  const group = (await scim('post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'bound', members: users.slice(0, 100).map((value) => ({ value })) })).body.id;
  await api(`/orgs/${org._id}/bindings`, { principal: { type: 'group', id: group }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
  for (const p of await c.changeDocs.find({ orgId: org._id, status: 'pending' }, { _id: 1 }).lean<Array<{ _id: string }>>()) await c.pipeline.applier.apply(p._id);
  const settle = () => new Promise((r) => setTimeout(r, 300)); // audit events are written after the answer
  await settle();
  stats.clear();

  const changeIds: string[] = [];
  for (let i = 0; i < N; i++) {
    const r = await scim('patch', `/Groups/${group}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: users[100 + i] }] }] });
    changeIds.push(r.headers['x-change-id']);
  }
  await settle();
  report('PATCH /Groups adding one member to a bound group (request side)');
  for (const id of changeIds) await c.pipeline.applier.apply(id);
  report('applying that change (worker side)');
  for (let i = 0; i < N; i++) await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new${i}@example.com`, active: true });
  await settle();
  report('POST /Users');

  await c.mongo.db!.dropDatabase().catch(() => undefined);
  await c.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
