import { randomBytes } from 'node:crypto';
import type request from 'supertest';
import { GROUP_URN, PATCH_URN, USER_URN, startHarness, type AdminClient, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { seedUsers, waitUntil } from '../support/seed';

// POST /orgs/:org/bindings/preview: the impact of a binding before it is saved, as the console's
// Mappings screen shows it ("grants api.model.read in Research to 2 users; 1 already has it").

jest.setTimeout(180_000);

let h: Harness;
let dir: TestDirectory;
let scim: ScimClient;
let api: AdminClient;
const ids: Record<string, string> = {};
let research: string;
let sales: string;
let modelUsers: string;
let modelReaders: string;

const rand = () => randomBytes(3).toString('hex');

async function user(userName: string, active = true): Promise<string> {
  const res = await scim.post('/Users', { schemas: [USER_URN], userName, active });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function group(displayName: string, members: string[]): Promise<string> {
  const res = await scim.post('/Groups', { schemas: [GROUP_URN], displayName, members: members.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function applied(res: request.Response): Promise<void> {
  expect(res.status).toBeLessThan(300);
  const id = res.headers['x-change-id'];
  expect(id).toBeTruthy();
  expect((await api.get(`/changes/${id}?wait=30000`)).body.status).toBe('applied');
}

async function role(name: string, permissions: string[]): Promise<string> {
  const res = await api.post(`/orgs/${dir.orgId}/roles`, { name, permissions });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const preview = (body: unknown, client = api, orgId = dir.orgId) => client.post(`/orgs/${orgId}/bindings/preview`, body);

/** What a preview must never touch: bindings, access documents (and when they were computed), changes, audit. */
async function writtenState() {
  const access = await h.c.accessDocs.find({ orgId: dir.orgId }, { _id: 1, computedAt: 1 }).lean<Array<{ _id: string; computedAt: Date }>>();
  return {
    bindings: (await api.get(`/orgs/${dir.orgId}/bindings`)).body.bindings.length as number,
    access: access.map((a) => `${a._id}@${new Date(a.computedAt).toISOString()}`).sort(),
    changes: await h.c.changeDocs.countDocuments({ orgId: dir.orgId }),
    audit: (await api.get(`/orgs/${dir.orgId}/audit?limit=500`)).body.events.length as number,
  };
}

beforeAll(async () => {
  h = await startHarness();
  await h.startWorkers();
  dir = await h.directory('okta');
  scim = h.as(dir);
  api = (await h.adminKey(dir.orgId)).api;
  research = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Research' })).body.id;
  sales = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Sales' })).body.id;
  modelUsers = await role('Model users', ['api.model.read', 'api.model_capability.request']);
  modelReaders = await role('Model readers', ['api.model.read']);
  for (const name of ['alice', 'bob', 'carol', 'erin']) ids[name] = await user(`${name}@example.com`);
  ids.dave = await user('dave@example.com', false);
  // Research holds alice, bob and the nested group ML (carol, and dave who is deactivated).
  ids.ml = await group('ML', [ids.carol, ids.dave]);
  ids.research = await group('Research', [ids.alice, ids.bob, ids.ml]);
  // alice already reads models in Research through a binding of her own.
  await applied(await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'user', id: ids.alice }, scope: { type: 'project', projectId: research }, roleId: modelReaders }));
  // Every SCIM write above is applied before anything is measured, so no worker writes during a test.
  await waitUntil('propagation to settle', async () => (await api.get(`/orgs/${dir.orgId}/propagation`)).body.pending === 0, 60_000, 200);
});
afterAll(() => h.close());

describe('the impact preview of a group binding', () => {
  it('counts members through nested groups and who already holds each permission, in one project', async () => {
    const res = await preview({ principal: { type: 'group', displayName: 'research' }, scope: { type: 'project', projectId: research }, roleId: modelUsers });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      principal: { type: 'group', id: ids.research, display: 'Research' },
      role: { id: modelUsers, name: 'Model users' },
      scope: { type: 'project', projectId: research },
      alreadyBound: false,
      users: 4,
      inactiveUsers: 1,
      serviceAccounts: 0,
      permissions: [
        { permission: 'api.model.read', scope: { type: 'project', projectId: research }, inEveryProject: false, gainedBy: 2, alreadyHad: 1 },
        { permission: 'api.model_capability.request', scope: { type: 'project', projectId: research }, inEveryProject: false, gainedBy: 3, alreadyHad: 0 },
      ],
    });
  });

  it('at organization level counts a permission as already had only when it is held in every project', async () => {
    const res = await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: modelReaders });
    expect(res.status).toBe(200);
    // alice reads models in Research only, not in Sales: she gains it in Sales.
    expect(res.body.permissions).toEqual([{ permission: 'api.model.read', scope: { type: 'organization' }, inEveryProject: true, gainedBy: 3, alreadyHad: 0 }]);
    const nested = await preview({ principal: { type: 'group', id: ids.ml }, scope: { type: 'project', projectId: sales }, roleId: modelReaders });
    expect(nested.body).toMatchObject({ users: 2, inactiveUsers: 1, permissions: [{ permission: 'api.model.read', gainedBy: 1, alreadyHad: 0 }] });
  });

  it('lists organization permissions of an organization role', async () => {
    const res = await preview({ principal: { type: 'user', id: ids.erin }, scope: { type: 'organization' }, roleId: 'preset:org-owner' });
    expect(res.status).toBe(200);
    expect(res.body.users).toBe(1);
    expect(res.body.permissions).toContainEqual({ permission: 'api.organization_admin.write', scope: { type: 'organization' }, inEveryProject: false, gainedBy: 1, alreadyHad: 0 });
    expect(res.body.permissions).toContainEqual({ permission: 'api.model.read', scope: { type: 'organization' }, inEveryProject: true, gainedBy: 1, alreadyHad: 0 });
  });

  it('says when the same binding exists already', async () => {
    const res = await preview({ principal: { type: 'user', userName: 'alice@example.com' }, scope: { type: 'project', projectId: research }, roleId: modelReaders });
    expect(res.body).toMatchObject({ alreadyBound: true, users: 1, permissions: [{ permission: 'api.model.read', gainedBy: 0, alreadyHad: 1 }] });
  });

  it('writes nothing: no binding, no access document, no change, no audit entry', async () => {
    const before = await writtenState();
    for (const scope of [{ type: 'organization' }, { type: 'project', projectId: research }]) {
      expect((await preview({ principal: { type: 'group', id: ids.research }, scope, roleId: modelUsers })).status).toBe(200);
    }
    expect((await preview({ principal: { type: 'user', id: ids.erin }, scope: { type: 'organization' }, roleId: 'preset:org-owner' })).status).toBe(200);
    // erin has no access document yet, and a preview must not create one.
    expect(await writtenState()).toEqual(before);
  });

  it('then saving the binding grants exactly what the preview said', async () => {
    const body = { principal: { type: 'group', id: ids.research }, scope: { type: 'project', projectId: research }, roleId: modelUsers };
    const said = (await preview(body)).body;
    const res = await api.post(`/orgs/${dir.orgId}/bindings`, body);
    await applied(res);
    const holders = async (permission: string) => {
      let n = 0;
      for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
        const r = await api.post('/access/check', { subject: { userId: ids[name] }, permission, projectId: research });
        if (r.body.allowed) n += 1;
      }
      return n;
    };
    for (const p of said.permissions) expect(await holders(p.permission)).toBe(p.gainedBy + p.alreadyHad);
    expect((await preview(body)).body).toMatchObject({ alreadyBound: true, permissions: [{ gainedBy: 0, alreadyHad: 3 }, { gainedBy: 0, alreadyHad: 3 }] });
    await api.delete(`/orgs/${dir.orgId}/bindings/${res.body.id}`);
  });
});

describe('refusals', () => {
  const problem = (res: request.Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  it('answers 400 for a body POST /bindings would refuse', async () => {
    problem(await preview({}), 400);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' } }), 400);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: modelUsers, dryRun: true }), 400);
    problem(await preview({ principal: { type: 'group', id: ids.research, displayName: 'Research' }, scope: { type: 'organization' }, roleId: modelUsers }), 400);
    // A project role only binds in a project, as POST /bindings says.
    const projectRole = await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: 'preset:project-member' });
    problem(projectRole, 400);
    expect(projectRole.body.detail).toMatch(/project role/);
  });

  it('answers 404 for a group, role or project that does not exist', async () => {
    problem(await preview({ principal: { type: 'group', displayName: 'Nobody' }, scope: { type: 'organization' }, roleId: modelUsers }), 404);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: 'role-missing' }), 404);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'project', projectId: 'p-missing' }, roleId: modelUsers }), 404);
  });

  it('keeps organizations apart: another organization sees neither the groups nor the members', async () => {
    const other = await h.directory('okta');
    const otherApi = (await h.adminKey(other.orgId)).api;
    const otherScim = h.as(other);
    const u = await otherScim.post('/Users', { schemas: [USER_URN], userName: `solo-${rand()}@example.com` });
    expect((await otherScim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Research', members: [{ value: u.body.id }] })).status).toBe(201);
    // Its own group of the same name: one member, not ours.
    const own = await preview({ principal: { type: 'group', displayName: 'Research' }, scope: { type: 'organization' }, roleId: 'preset:org-reader' }, otherApi, other.orgId);
    expect(own.status).toBe(200);
    expect(own.body.users).toBe(1);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: 'preset:org-reader' }, otherApi, other.orgId), 404);
    problem(await preview({ principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: 'preset:org-reader' }, otherApi, dir.orgId), 403);
  });

  it('is open to a reader key (it writes nothing) and refused without api.role.read', async () => {
    const reader = (await h.adminKey(dir.orgId, 'preset:org-reader')).api;
    const body = { principal: { type: 'group', id: ids.research }, scope: { type: 'organization' }, roleId: modelReaders };
    expect((await preview(body, reader)).status).toBe(200);
    const none = await role('Nothing much', ['api.model.read']);
    const weak = (await h.adminKey(dir.orgId, none)).api;
    problem(await preview(body, weak), 403);
  });
});

describe('a group of 1,000 members (the streamed path)', () => {
  it('counts every member, a nested group of it, and what the stored documents hold', async () => {
    const { groupId, userIds } = await seedUsers(h, dir, 1000, { groupName: `All Staff ${rand()}` });
    // ML nests inside the seeded group: carol joins (dave is inactive), alice and bob do not.
    const nest = await scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: ids.ml }] }] });
    expect(nest.status).toBeLessThan(300);
    await applied(await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', id: groupId }, scope: { type: 'project', projectId: sales }, roleId: modelReaders }));
    const res = await preview({ principal: { type: 'group', id: groupId }, scope: { type: 'project', projectId: sales }, roleId: modelUsers });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ users: userIds.length + 2, inactiveUsers: 1, alreadyBound: false });
    expect(res.body.permissions).toEqual([
      { permission: 'api.model.read', scope: { type: 'project', projectId: sales }, inEveryProject: false, gainedBy: 0, alreadyHad: 1001 },
      { permission: 'api.model_capability.request', scope: { type: 'project', projectId: sales }, inEveryProject: false, gainedBy: 1001, alreadyHad: 0 },
    ]);
    // In Research only alice holds api.model.read, and she is not a member: nobody has it already.
    const research1000 = await preview({ principal: { type: 'group', id: groupId }, scope: { type: 'project', projectId: research }, roleId: modelReaders });
    expect(research1000.body).toMatchObject({ users: 1002, inactiveUsers: 1, permissions: [{ permission: 'api.model.read', gainedBy: 1001, alreadyHad: 0 }] });
    // Through the whole organization, the seeded members hold it in Sales but not in Research.
    const everywhere = await preview({ principal: { type: 'group', id: groupId }, scope: { type: 'organization' }, roleId: modelReaders });
    expect(everywhere.body.permissions).toEqual([{ permission: 'api.model.read', scope: { type: 'organization' }, inEveryProject: true, gainedBy: 1001, alreadyHad: 0 }]);
  });
});
