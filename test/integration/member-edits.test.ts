import { Redis } from 'ioredis';
import { GROUP_URN, PATCH_URN, newUser, startHarness, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { seedUsers } from '../support/seed';

jest.setTimeout(120_000);

let h: Harness;
let dir: TestDirectory;
let scim: ScimClient;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness();
  dir = await h.directory('okta');
  scim = h.as(dir);
  redis = new Redis(h.config.REDIS_URL);
});
afterAll(async () => {
  redis.disconnect();
  await h.close();
});

const addMembers = (c: ScimClient, groupId: string, ids: string[]) =>
  c.patch(`/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] });
const removeMembers = (c: ScimClient, groupId: string, ids: string[]) =>
  c.patch(`/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [{ op: 'remove', path: 'members', value: ids.map((value) => ({ value })) }] });
const newGroup = async (c: ScimClient, name: string, members: string[] = []) =>
  (await c.post('/Groups', { schemas: [GROUP_URN], displayName: name, members: members.map((value) => ({ value })) })).body.id as string;
const memberIdsOf = async (c: ScimClient, groupId: string) =>
  ((await c.get(`/Groups/${groupId}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();
const changeUserCount = async (changeId: string) => (await h.c.tracking.get(dir.orgId, changeId))?.userIds.length;

/** Empties the principal registry, as a Redis FLUSHALL or restart would. */
async function forgetAllPrincipals() {
  const keys = await redis.keys(`${h.config.QUEUE_PREFIX}:principal:*`);
  if (keys.length) await redis.del(...keys);
}

describe('large member edits (one request adding or removing hundreds of members)', () => {
  it('adds 300 members of which 100 are already in: no duplicate, exact count, the change names only the 200 new ones', async () => {
    const { userIds } = await seedUsers(h, dir, 300);
    await h.c.registry.remember(dir.directoryId, userIds.map((id) => [id, 'User'] as const));
    const g = await newGroup(scim, 'Big-Add', userIds.slice(0, 100));

    const res = await addMembers(scim, g, userIds);
    expect(res.status).toBe(200);
    const got = await scim.get(`/Groups/${g}`);
    expect(got.body.members).toHaveLength(300);
    expect(new Set(got.body.members.map((m: { value: string }) => m.value)).size).toBe(300);
    expect(await changeUserCount(res.headers['x-change-id'])).toBe(200);
    const count = await h.c.models.groups.findOne({ _id: g }).lean();
    expect(count?.memberCount).toBe(300);
  });

  it('records no change and bumps no version when the whole list is sent again', async () => {
    const { userIds } = await seedUsers(h, dir, 50);
    const g = await newGroup(scim, 'Resent', userIds);
    const before = await scim.get(`/Groups/${g}`);
    const pending = await h.c.changeDocs.countDocuments({ orgId: dir.orgId });

    const again = await addMembers(scim, g, userIds);
    expect(again.status).toBe(200);
    expect(again.headers['x-change-id']).toBeUndefined();
    expect(again.headers.etag).toBe(before.headers.etag);
    expect(await h.c.changeDocs.countDocuments({ orgId: dir.orgId })).toBe(pending);
  });

  it('rejects the whole request when one of 200 ids is unknown, and stores none of them', async () => {
    const { userIds } = await seedUsers(h, dir, 199);
    const g = await newGroup(scim, 'All-Or-None');
    const res = await addMembers(scim, g, [...userIds, 'no-such-user']);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe('invalidValue');
    expect(res.body.detail).toContain('no-such-user');
    expect(await memberIdsOf(scim, g)).toEqual([]);
  });

  it('checks members in the database when the registry has been emptied (Redis flushed), and still rejects unknown ids', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await scim.post('/Users', newUser(`flushed-${i}@example.com`))).body.id);
    await forgetAllPrincipals();
    const g = await newGroup(scim, 'After-Flush');
    expect((await addMembers(scim, g, [...ids, 'ghost'])).status).toBe(400);
    expect((await addMembers(scim, g, ids)).status).toBe(200);
    expect(await memberIdsOf(scim, g)).toEqual([...ids].sort());
  });

  it("never lets a directory add another directory's users, even ones the registry knows", async () => {
    const other = await h.directory('okta');
    const theirs: string[] = [];
    for (let i = 0; i < 20; i++) theirs.push((await h.as(other).post('/Users', newUser(`theirs-${i}@example.com`))).body.id);
    const g = await newGroup(scim, 'Thieves');
    const res = await addMembers(scim, g, theirs);
    expect(res.status).toBe(400);
    expect(await memberIdsOf(scim, g)).toEqual([]);
  });

  it('refuses a user deleted a moment ago', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await scim.post('/Users', newUser(`gone-${i}@example.com`))).body.id);
    expect((await scim.delete(`/Users/${ids[0]}`)).status).toBe(204);
    const g = await newGroup(scim, 'Too-Late');
    const res = await addMembers(scim, g, ids);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(ids[0]);
  });

  it('removes 100 members named among 150 ids (50 never members): exact count and change', async () => {
    const { userIds } = await seedUsers(h, dir, 150);
    const g = await newGroup(scim, 'Big-Remove', userIds.slice(0, 120));
    const res = await removeMembers(scim, g, [...userIds.slice(20, 120), ...userIds.slice(120)]);
    expect(res.status).toBe(200);
    expect(await memberIdsOf(scim, g)).toEqual(userIds.slice(0, 20).sort());
    expect(await changeUserCount(res.headers['x-change-id'])).toBe(100);
    expect((await h.c.models.groups.findOne({ _id: g }).lean())?.memberCount).toBe(20);
  });
});

describe('membership changes and what they grant', () => {
  beforeAll(() => h.startWorkers());

  it("gives a nested group's users what the parent grants, and takes it back when the nested group leaves", async () => {
    const d = await h.directory('generic');
    const c = h.as(d);
    const { api } = await h.adminKey(d.orgId);
    const project = (await api.post(`/orgs/${d.orgId}/projects`, { name: 'Nested' })).body.id as string;
    const u = (await c.post('/Users', newUser('nested-user@example.com'))).body.id;
    const team = await newGroup(c, 'Team', [u]);
    const parent = await newGroup(c, 'Division');
    await api.post(`/orgs/${d.orgId}/bindings`, {
      principal: { type: 'group', displayName: 'Division' },
      scope: { type: 'project', projectId: project },
      roleId: 'preset:project-member',
    });
    const check = async () =>
      (await api.post('/access/check', { subject: { userId: u }, permission: 'api.model.read', projectId: project })).body.allowed;

    const joined = await addMembers(c, parent, [team]);
    expect((await api.get(`/changes/${joined.headers['x-change-id']}?wait=10000`)).body.status).toBe('applied');
    expect(await check()).toBe(true);

    const left = await removeMembers(c, parent, [team]);
    expect((await api.get(`/changes/${left.headers['x-change-id']}?wait=10000`)).body.status).toBe('applied');
    expect(await check()).toBe(false);
  });

  it('grants nothing for joining an unbound group, and everything once the group (or a parent) is bound', async () => {
    const d = await h.directory('okta');
    const c = h.as(d);
    const { api } = await h.adminKey(d.orgId);
    const project = (await api.post(`/orgs/${d.orgId}/projects`, { name: 'Later' })).body.id as string;
    const u = (await c.post('/Users', newUser('late-binding@example.com'))).body.id;
    const v = (await c.post('/Users', newUser('nested-late@example.com'))).body.id;
    const check = async (userId: string) =>
      (await api.post('/access/check', { subject: { userId }, permission: 'api.model.read', projectId: project })).body.allowed;
    const waitFor = async (changeId: string) => expect((await api.get(`/changes/${changeId}?wait=10000`)).body.status).toBe('applied');

    // Created with a member, then another member added: no binding reaches the group, nobody gains anything.
    const created = await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Unmapped', members: [{ value: u }] });
    await waitFor(created.headers['x-change-id']);
    expect(await check(u)).toBe(false);
    const inner = await newGroup(c, 'Inner');
    await waitFor((await addMembers(c, inner, [v])).headers['x-change-id']);
    await waitFor((await addMembers(c, created.body.id, [inner])).headers['x-change-id']);
    expect(await check(v)).toBe(false);

    // Bound later: the binding's own fan-out reaches the members that joined before, nested ones too.
    const bound = await api.post(`/orgs/${d.orgId}/bindings`, {
      principal: { type: 'group', displayName: 'Unmapped' },
      scope: { type: 'project', projectId: project },
      roleId: 'preset:project-member',
    });
    await waitFor(bound.headers['x-change-id']);
    expect(await check(u)).toBe(true);
    expect(await check(v)).toBe(true);

    // Joining an unbound group nested in a bound one grants what the parent grants.
    const w = (await c.post('/Users', newUser('joins-inner@example.com'))).body.id;
    await waitFor((await addMembers(c, inner, [w])).headers['x-change-id']);
    expect(await check(w)).toBe(true);
  });

  it('never lets a recompute that read older state overwrite access computed from newer state', async () => {
    const d = await h.directory('okta');
    const c = h.as(d);
    const { api } = await h.adminKey(d.orgId);
    const project = (await api.post(`/orgs/${d.orgId}/projects`, { name: 'Race' })).body.id as string;
    const u = (await c.post('/Users', newUser('race@example.com'))).body.id;
    const g = await newGroup(c, 'Racers');
    await api.post(`/orgs/${d.orgId}/bindings`, { principal: { type: 'group', id: g }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
    const joined = await addMembers(c, g, [u]);
    expect((await api.get(`/changes/${joined.headers['x-change-id']}?wait=10000`)).body.status).toBe('applied');
    const docs = h.c.mongo.db!.collection('access_documents');
    // What a recompute that started later (after the user left) stored first: no access, read at a later time.
    const later = new Date(Date.now() + 60_000);
    await docs.updateOne({ _id: `user-${u}` } as never, { $set: { projects: [], allProjects: [], org: [], grants: [], sourceAt: later, changeId: 'newer' } });
    await h.c.fresh.invalidate('access', [`user-${u}`]);
    // This one read the membership before the user left, and only finishes now.
    await h.c.accessRecompute.recomputeUser(d.orgId, u, 'older');
    await h.c.accessRecompute.recomputeUsers(d.orgId, [u], 'older');
    const stored = await docs.findOne({ _id: `user-${u}` } as never);
    expect(stored).toMatchObject({ changeId: 'newer' });
    expect((await api.post('/access/check', { subject: { userId: u }, permission: 'api.model.read', projectId: project })).body.allowed).toBe(false);
  });
});

describe('work bounded by what the request names', () => {
  it('refuses 20,000 member ids that do not exist after checking one batch, and says how many it checked', async () => {
    const { userIds } = await seedUsers(h, dir, 3);
    const g = await newGroup(scim, 'Bounded', userIds.slice(0, 1));
    const stored = () => h.c.models.groups.findOne({ _id: g }).lean();
    const before = { group: await stored(), members: await memberIdsOf(scim, g) };
    const unknown = Array.from({ length: 20_000 }, (_, i) => `no-such-member-${i}`);
    // The two real users (unknown to the registry: seeded around the services) fall in the first batch of 100.
    const res = await addMembers(scim, g, [...userIds.slice(1), ...unknown]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'invalidValue',
      detail: 'members refer to 98 unknown resource(s) in this directory among the first 100 of 20002 member ids checked (the rest were not checked): no-such-member-0, no-such-member-1, no-such-member-2, no-such-member-3, no-such-member-4, ...',
    });
    expect({ group: await stored(), members: await memberIdsOf(scim, g) }).toEqual(before);
  });

  it('names every unknown id it found when the request is small enough to check whole', async () => {
    const { userIds } = await seedUsers(h, dir, 2);
    const g = await newGroup(scim, 'Small-Unknown');
    const res = await addMembers(scim, g, [userIds[0], 'ghost-a', userIds[1], 'ghost-b']);
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('members refer to 2 unknown resource(s) in this directory among 4 member ids: ghost-a, ghost-b');
    expect(await memberIdsOf(scim, g)).toEqual([]);
  });

  it('removes 1,000 members sent in Okta\'s filter style (one members[value eq] operation each) exactly as a value list would', async () => {
    const { userIds } = await seedUsers(h, dir, 1500);
    const g = await newGroup(scim, 'Filter-Style-Removal', userIds);
    const gone = userIds.slice(0, 1000);
    const res = await scim.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: gone.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })) });
    expect(res.status).toBe(200);
    expect(await memberIdsOf(scim, g)).toEqual([...userIds.slice(1000)].sort());
    expect(await changeUserCount(res.headers['x-change-id'])).toBe(1000);
    expect((await h.c.models.groups.findOne({ _id: g }).lean())?.memberCount).toBe(500);
  });
});
