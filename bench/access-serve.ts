/**
 * The server side of the access-check benchmark, in its own process (so its peak RSS is its own):
 * seeds an organization of the size the RBAC issue names, materializes every user's access through
 * the same recompute the workers run, then serves the app and a bare Express JSON ceiling.
 */
import express from 'express';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';
import { PERMISSIONS } from '../src/rbac/catalog';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 100);
const ROLES = Number(process.env.BENCH_ROLES ?? 50);
const GROUPS_PER_USER = 3;

async function main() {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const c = await createContainer(config, { dbName: process.env.BENCH_DB ?? 'bench_access' });
  await c.mongo.db!.dropDatabase();
  await c.ensureIndexes();
  const { org } = await c.tenancy.ensureOrganization('bench-access');
  const { directory } = await c.tenancy.createDirectory({ orgId: org._id, name: 'entra', provider: 'entra' });
  const now = new Date();
  const rnd = (n: number) => Math.floor(Math.random() * n);

  const t0 = Date.now();
  const userIds = Array.from({ length: USERS }, (_, i) => `u-${i}`);
  for (let i = 0; i < USERS; i += 1000) {
    await c.models.users.collection.insertMany(
      userIds.slice(i, i + 1000).map((id) => ({ _id: id, orgId: org._id, directoryId: directory._id, userName: `${id}@example.com`, userNameKey: `${id}@example.com`, active: true, version: 1, createdAt: now, lastModifiedAt: now })) as never[],
    );
  }
  const groupIds = Array.from({ length: GROUPS }, (_, i) => `g-${i}`);
  await c.models.groups.collection.insertMany(
    groupIds.map((id) => ({ _id: id, orgId: org._id, directoryId: directory._id, displayName: id, displayNameKey: id, memberCount: 0, version: 1, createdAt: now, lastModifiedAt: now })) as never[],
  );
  const memberships = [];
  for (const u of userIds) {
    for (const g of new Set(Array.from({ length: GROUPS_PER_USER }, () => groupIds[rnd(GROUPS)]))) {
      memberships.push({ _id: `${g}|${u}`, orgId: org._id, directoryId: directory._id, groupId: g, memberId: u, memberType: 'User', createdAt: now });
    }
  }
  for (let i = 0; i < memberships.length; i += 1000) await c.models.memberships.collection.insertMany(memberships.slice(i, i + 1000) as never[]);

  const projectIds: string[] = [];
  for (let i = 0; i < PROJECTS; i++) projectIds.push((await c.rbac.createProject(org._id, `project-${i}`))._id);
  const eligible = PERMISSIONS.filter((p) => p.customRoleEligible && p.level === 'project').map((p) => p.id);
  const roleIds: string[] = [];
  for (let i = 0; i < ROLES; i++) {
    const perms = [...new Set(Array.from({ length: 6 }, () => eligible[rnd(eligible.length)]))];
    roleIds.push((await c.rbac.createRole(org._id, { name: `role-${i}`, scope: { type: 'organization' }, permissions: perms, policyIds: [] }))._id);
  }
  for (const g of groupIds) {
    await c.rbac.createBinding(org._id, { principalType: 'group', principalId: g, scope: { type: 'project', projectId: projectIds[rnd(PROJECTS)] }, roleId: roleIds[rnd(ROLES)] });
  }
  for (let i = 0; i < 10; i++) {
    await c.rbac.createBinding(org._id, { principalType: 'group', principalId: groupIds[rnd(GROUPS)], scope: { type: 'organization' }, roleId: 'preset:org-reader' });
  }
  const seededMs = Date.now() - t0;

  const t1 = Date.now();
  for (let i = 0; i < USERS; i += 500) await c.accessRecompute.recomputeUsers(org._id, userIds.slice(i, i + 500), null);
  const materializedMs = Date.now() - t1;

  const owner = userIds[0];
  const key = await c.rbac.createApiKey(org._id, { projectId: projectIds[0], ownerType: 'user', ownerId: owner, name: 'bench', permissions: 'all' });
  const admin = await c.rbac.createAdminKey(org._id, 'bench', 'preset:org-owner');

  const sample = { allowed: true, reason: 'granted', grants: [{ bindingId: 'b', roleId: 'r', roleName: 'role-1', scope: 'project', projectId: 'p', via: { type: 'group', id: 'g-1', display: 'g-1' } }], subject: { type: 'user', id: 'u-1' }, stateVersion: 1, changeId: null };
  const bare = express();
  bare.post('/json', (_req, res) => res.json(sample));
  const ports = { app: Number(process.env.BENCH_APP_PORT ?? 18090), bare: Number(process.env.BENCH_BARE_PORT ?? 18091) };
  await new Promise<void>((r) => buildApp(c).listen(ports.app, '127.0.0.1', () => r()));
  await new Promise<void>((r) => bare.listen(ports.bare, '127.0.0.1', () => r()));
  // The bench database is dropped on the way out, so repeated runs leave nothing behind.
  process.on('SIGTERM', () => {
    void c.mongo.db!.dropDatabase().finally(() => process.exit(0));
  });
  process.send?.({ ready: { ports, adminKey: admin.secret, apiKey: key.secret, projectIds, userCount: USERS, seededMs, materializedMs } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
