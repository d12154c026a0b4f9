import request from 'supertest';
import { randomBytes } from 'node:crypto';
import {
  GROUP_URN,
  newUser,
  PATCH_URN,
  startHarness,
  type AdminClient,
  type Harness,
  type ScimClient,
  type TestDirectory,
} from '../support/harness';

// The admin API under /api/v1, end to end: admin keys, RFC 9457 problems, projects, roles,
// bindings, service accounts, API keys, access checks, directories and the audit log.
// Every describe works in an organization of its own.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

interface Org {
  dir: TestDirectory;
  orgId: string;
  slug: string;
  scim: ScimClient;
  api: AdminClient;
  keyId: string;
  secret: string;
}

const rand = () => randomBytes(4).toString('hex');

async function newOrg(prefix: string): Promise<Org> {
  const slug = `${prefix}-${rand()}`;
  const dir = await h.directory('okta', slug);
  const key = await h.adminKey(dir.orgId);
  return { dir, orgId: dir.orgId, slug, scim: h.as(dir), api: key.api, keyId: key.keyId, secret: key.secret };
}

async function scimUser(scim: ScimClient, userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await scim.post('/Users', newUser(userName, extra));
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function scimGroup(scim: ScimClient, displayName: string, memberIds: string[]): Promise<string> {
  const res = await scim.post('/Groups', { schemas: [GROUP_URN], displayName, members: memberIds.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function newProject(o: Org, name = `project-${rand()}`): Promise<string> {
  const res = await o.api.post(`/orgs/${o.orgId}/projects`, { name });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

type Principal =
  | { type: 'user'; id?: string; userName?: string }
  | { type: 'group'; id?: string; displayName?: string }
  | { type: 'serviceAccount'; id: string };
type ScopeIn = { type: 'organization' } | { type: 'project'; projectId: string };

const inProject = (projectId: string): ScopeIn => ({ type: 'project', projectId });
const ORG: ScopeIn = { type: 'organization' };

async function bind(o: Org, principal: Principal, scope: ScopeIn, roleId: string) {
  const res = await o.api.post(`/orgs/${o.orgId}/bindings`, { principal, scope, roleId });
  expect(res.status).toBe(201);
  return res;
}

type Subject = { userId: string } | { userName: string } | { serviceAccountId: string } | { apiKey: string } | { apiKeyId: string };

async function check(o: Org, subject: Subject, permission: string, projectId?: string) {
  const res = await o.api.post('/access/check', { subject, permission, ...(projectId ? { projectId } : {}) });
  expect(res.status).toBe(200);
  return res.body as {
    allowed: boolean;
    reason: string;
    grants: Array<{ bindingId: string; roleId: string; via: { type: string; id: string; display?: string }; policyId?: string }>;
    subject: { type: string; id: string };
  };
}

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
}

function expectValidationProblem(res: request.Response, path?: string) {
  expectProblem(res, 400);
  expect(Array.isArray(res.body.errors)).toBe(true);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const e of res.body.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  if (path !== undefined) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

const deactivate = { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] };

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!done(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

// -------------------------------------------------------------------------------------------------

describe('authentication', () => {
  let o: Org;
  beforeAll(async () => {
    o = await newOrg('authn');
  });

  const bare = () => request(h.app);

  it('answers 401 problem+json with WWW-Authenticate when no admin key is sent', async () => {
    const res = await bare().get(`/api/v1/orgs/${o.orgId}/projects`);
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(res.body.detail).toEqual(expect.any(String));
    expect(res.body.projects).toBeUndefined();
  });

  it('answers 401 to a wrong key, a malformed header and a SCIM directory token', async () => {
    for (const auth of ['Bearer adm_not-a-real-key', 'Basic dXNlcjpwYXNz', `Bearer ${o.dir.token}`, 'Bearer']) {
      const res = await bare().get(`/api/v1/orgs/${o.orgId}/projects`).set('Authorization', auth);
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    }
  });

  it('stops accepting an admin key as soon as it is revoked', async () => {
    const key = await h.adminKey(o.orgId);
    expect((await key.api.get(`/orgs/${o.orgId}/projects`)).status).toBe(200);
    await h.c.rbac.revokeAdminKey(o.orgId, key.keyId);
    const res = await key.api.get(`/orgs/${o.orgId}/projects`);
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    // Checks are authenticated the same way.
    expectProblem(await key.api.post('/access/check', { subject: { userName: 'x' }, permission: 'api.model.read' }), 401);
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await o.api.get('/no-such-thing'), 404);
  });
});

// -------------------------------------------------------------------------------------------------

describe('authorization', () => {
  let a: Org;
  let b: Org;
  let bProject: string;
  let bUser: string;
  let bKeySecret: string;
  let bChangeId: string;
  const bSecrets = { projectName: '', userName: '', groupName: '' };

  beforeAll(async () => {
    a = await newOrg('authz-a');
    b = await newOrg('authz-b');
    bSecrets.projectName = `globex-secret-${rand()}`;
    bSecrets.userName = `globex-ceo-${rand()}@globex.example`;
    bSecrets.groupName = `Globex Board ${rand()}`;
    bProject = await newProject(b, bSecrets.projectName);
    bUser = await scimUser(b.scim, bSecrets.userName);
    await scimGroup(b.scim, bSecrets.groupName, [bUser]);
    const bound = await bind(b, { type: 'group', displayName: bSecrets.groupName }, inProject(bProject), 'preset:project-owner');
    bChangeId = bound.headers['x-change-id'];
    const key = await b.api.post(`/orgs/${b.orgId}/api-keys`, {
      projectId: bProject,
      name: 'b key',
      owner: { type: 'user', id: bUser },
      permissions: 'all',
    });
    expect(key.status).toBe(201);
    bKeySecret = key.body.secret;
    // B's user is allowed in B: what A must not learn about.
    expect((await check(b, { userId: bUser }, 'api.model.read', bProject)).allowed).toBe(true);
  });

  it('forbids an org reader key from creating a project (it lacks api.project_administration.write)', async () => {
    const reader = await h.adminKey(a.orgId, 'preset:org-reader');
    const res = await reader.api.post(`/orgs/${a.orgId}/projects`, { name: 'not allowed' });
    expectProblem(res, 403);
    expect(res.body.detail).toContain('api.project_administration.write');
    // Nothing was created.
    const list = await a.api.get(`/orgs/${a.orgId}/projects`);
    expect(list.body.projects.map((p: { name: string }) => p.name)).not.toContain('not allowed');
    // The reader can do what its role allows, and no more.
    expect((await reader.api.get(`/orgs/${a.orgId}/roles`)).status).toBe(200);
    expectProblem(await reader.api.get(`/orgs/${a.orgId}/audit`), 403);
    expectProblem(await reader.api.post(`/orgs/${a.orgId}/directories`, { name: 'x', provider: 'okta' }), 403);
    expectProblem(await reader.api.post(`/orgs/${a.orgId}/roles`, { name: 'x', permissions: ['api.model.read'] }), 403);
  });

  it('forbids a custom role key the route permission while allowing what the role holds', async () => {
    const role = await a.api.post(`/orgs/${a.orgId}/roles`, { name: `key-reader-${rand()}`, permissions: ['api.model.read', 'api.project_api_key.read'] });
    expect(role.status).toBe(201);
    const custom = await h.adminKey(a.orgId, role.body.id);
    expect((await custom.api.get(`/orgs/${a.orgId}/api-keys`)).status).toBe(200);
    const res = await custom.api.post(`/orgs/${a.orgId}/projects`, { name: 'custom-not-allowed' });
    expectProblem(res, 403);
    expect(res.body.detail).toContain('api.project_administration.write');
    expectProblem(await custom.api.post(`/orgs/${a.orgId}/bindings`, { principal: { type: 'user', userName: 'x' }, scope: ORG, roleId: 'preset:org-owner' }), 403);
  });

  it('forbids org A\'s key on org B\'s paths, by id and by slug, without revealing anything of B', async () => {
    const missing = await a.api.get(`/orgs/no-such-org-${rand()}/projects`);
    expectProblem(missing, 403);
    const paths = [
      `/orgs/${b.orgId}`,
      `/orgs/${b.orgId}/projects`,
      `/orgs/${b.slug}/projects`,
      `/orgs/${b.orgId}/projects/${bProject}`,
      `/orgs/${b.slug}/bindings`,
      `/orgs/${b.orgId}/api-keys`,
      `/orgs/${b.orgId}/audit`,
      `/orgs/${b.orgId}/users/${bUser}/permissions`,
      `/orgs/${b.slug}/directories`,
    ];
    for (const path of paths) {
      const res = await a.api.get(path);
      expectProblem(res, 403);
      // The same answer as for an organization that does not exist.
      expect(res.body.detail).toBe(missing.body.detail);
      const { instance: _instance, ...rest } = res.body;
      const text = JSON.stringify(rest);
      for (const secret of [b.orgId, b.slug, bProject, bUser, bSecrets.projectName, bSecrets.userName, bSecrets.groupName]) {
        expect(text).not.toContain(secret);
      }
    }
    // Writes into B are refused too, and change nothing.
    expectProblem(await a.api.post(`/orgs/${b.orgId}/projects`, { name: 'planted' }), 403);
    expectProblem(await a.api.patch(`/orgs/${b.slug}/projects/${bProject}`, { archived: true }), 403);
    expectProblem(await a.api.post(`/orgs/${b.orgId}/bindings`, { principal: { type: 'user', id: bUser }, scope: ORG, roleId: 'preset:org-owner' }), 403);
    const bProjects = await b.api.get(`/orgs/${b.orgId}/projects`);
    expect(bProjects.body.projects).toEqual([expect.objectContaining({ id: bProject, name: bSecrets.projectName, archived: false })]);
  });

  it('does not find org B\'s resources under org A\'s own path', async () => {
    expectProblem(await a.api.get(`/orgs/${a.orgId}/projects/${bProject}`), 404);
    expectProblem(await a.api.get(`/orgs/${a.orgId}/users/${bUser}/permissions`), 404);
    expectProblem(await a.api.get(`/changes/${bChangeId}`), 404);
    expectProblem(await a.api.post(`/orgs/${a.orgId}/bindings`, { principal: { type: 'user', id: bUser }, scope: ORG, roleId: 'preset:org-reader' }), 404);
    expectProblem(await a.api.post(`/orgs/${a.orgId}/bindings`, { principal: { type: 'group', displayName: bSecrets.groupName }, scope: ORG, roleId: 'preset:org-reader' }), 404);
  });

  it('answers org A\'s check of org B\'s user with unknown_subject and none of B\'s data', async () => {
    for (const subject of [{ userId: bUser }, { userName: bSecrets.userName }]) {
      const res = await check(a, subject, 'api.model.read', bProject);
      expect(res).toMatchObject({ allowed: false, reason: 'unknown_subject', grants: [] });
      const text = JSON.stringify(res);
      expect(text).not.toContain(bSecrets.groupName);
      expect(text).not.toContain('preset:project-owner');
    }
    const key = await check(a, { apiKey: bKeySecret }, 'api.model.read', bProject);
    expect(key).toMatchObject({ allowed: false, reason: 'key_unknown', grants: [] });
    expect(JSON.stringify(key)).not.toContain(bUser);
    const batch = await a.api.post('/access/check-batch', { checks: [{ subject: { userId: bUser }, permission: 'api.model.read', projectId: bProject }] });
    expect(batch.status).toBe(200);
    expect(batch.body.results[0]).toMatchObject({ allowed: false, reason: 'unknown_subject', grants: [] });
  });
});

// -------------------------------------------------------------------------------------------------

describe('validation', () => {
  let o: Org;
  beforeAll(async () => {
    o = await newOrg('valid');
  });

  it('rejects unknown keys, missing names and wrong types with a 400 listing the errors', async () => {
    const unknownKey = await o.api.post(`/orgs/${o.orgId}/projects`, { name: 'p', colour: 'blue' });
    expectValidationProblem(unknownKey);
    expect(JSON.stringify(unknownKey.body.errors)).toContain('colour');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/projects`, {}), 'name');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/projects`, { name: '   ' }), 'name');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/projects`, { name: 42 }), 'name');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'p', permissions: 'api.model.read' }), 'permissions');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'r', permisions: ['api.model.read'] }));
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/roles`, { permissions: ['api.model.read'] }), 'name');
    expectValidationProblem(
      await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'robot', id: 'x' }, scope: ORG, roleId: 'preset:org-reader' }),
    );
    expectValidationProblem(await o.api.post('/access/check', { subject: { userId: 'a', userName: 'b' }, permission: 'api.model.read' }));
    expectValidationProblem(await o.api.get(`/orgs/${o.orgId}/audit?sort=asc`));
    // Nothing was stored by any of them.
    expect((await o.api.get(`/orgs/${o.orgId}/projects`)).body.projects).toEqual([]);
    expect((await o.api.get(`/orgs/${o.orgId}/roles`)).body.roles.filter((r: { preset: boolean }) => !r.preset)).toEqual([]);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await o.api.post(`/orgs/${o.orgId}/projects`).set('Content-Type', 'application/json').send('{"name": ');
    expectProblem(res, 400);
  });

  it('rejects unknown and non-eligible permissions in custom roles and policies', async () => {
    const unknown = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'typo', permissions: ['api.model.read', 'api.modle.read'] });
    expectValidationProblem(unknown, 'permissions.1');
    expect(JSON.stringify(unknown.body)).toContain('api.modle.read');
    const notEligible = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'admin-ish', permissions: ['api.organization_admin.write'] });
    expectValidationProblem(notEligible, 'permissions.0');
    expect(JSON.stringify(notEligible.body)).toContain('api.organization_admin.write');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'pol', permissions: ['api.role.write'] }), 'permissions.0');
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'pol', permissions: ['nope'] }), 'permissions.0');
    // An organization-level permission cannot be in a project-scoped role.
    const project = await newProject(o);
    const orgLevel = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'proj', scope: inProject(project), permissions: ['api.usage.read'] });
    expectProblem(orgLevel, 400);
    expect(orgLevel.body.detail).toContain('api.usage.read');
    // Edits are checked the same way.
    const role = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'fine', permissions: ['api.model.read'] });
    expect(role.status).toBe(201);
    expectValidationProblem(await o.api.patch(`/orgs/${o.orgId}/roles/${role.body.id}`, { permissions: ['api.oidc.write'] }), 'permissions.0');
    expect((await o.api.get(`/orgs/${o.orgId}/roles/${role.body.id}`)).body.permissions).toEqual(['api.model.read']);
    const roles = (await o.api.get(`/orgs/${o.orgId}/roles`)).body.roles.filter((r: { preset: boolean }) => !r.preset);
    expect(roles.map((r: { name: string }) => r.name)).toEqual(['fine']);
  });
});

// -------------------------------------------------------------------------------------------------

describe('projects', () => {
  let o: Org;
  beforeAll(async () => {
    o = await newOrg('projects');
  });

  it('creates, lists, gets and renames projects', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/projects`, { name: 'Alpha' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'Alpha', archived: false, archivedAt: null, createdAt: expect.any(String) });
    const id = created.body.id;
    expectProblem(await o.api.post(`/orgs/${o.orgId}/projects`, { name: 'alpha' }), 409);

    const list = await o.api.get(`/orgs/${o.slug}/projects`);
    expect(list.status).toBe(200);
    expect(list.body.projects).toEqual([created.body]);
    expect((await o.api.get(`/orgs/${o.orgId}/projects/${id}`)).body).toEqual(created.body);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/projects/does-not-exist`), 404);

    const renamed = await o.api.patch(`/orgs/${o.orgId}/projects/${id}`, { name: 'Alpha Prime' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'Alpha Prime', archived: false });
    expect((await o.api.get(`/orgs/${o.orgId}/projects/${id}`)).body.name).toBe('Alpha Prime');
    expectValidationProblem(await o.api.patch(`/orgs/${o.orgId}/projects/${id}`, {}));
    // Renaming onto another project's name is a conflict, and changes nothing.
    const beta = await newProject(o, 'Beta');
    expectProblem(await o.api.patch(`/orgs/${o.orgId}/projects/${beta}`, { name: 'ALPHA PRIME' }), 409);
    expect((await o.api.get(`/orgs/${o.orgId}/projects/${beta}`)).body.name).toBe('Beta');
    // Renaming to its own name (in another case) is fine.
    expect((await o.api.patch(`/orgs/${o.orgId}/projects/${beta}`, { name: 'BETA' })).status).toBe(200);
  });

  it('archives a project: it grants nothing afterwards and takes no new bindings', async () => {
    const project = await newProject(o, 'Doomed');
    const other = await newProject(o, 'Survivor');
    const user = await scimUser(o.scim, `archive-${rand()}@example.com`);
    await bind(o, { type: 'user', id: user }, inProject(project), 'preset:project-member');
    await bind(o, { type: 'user', id: user }, ORG, 'preset:org-reader');
    expect((await check(o, { userId: user }, 'api.model.read', project)).allowed).toBe(true);

    const archived = await o.api.patch(`/orgs/${o.orgId}/projects/${project}`, { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: project, archived: true, archivedAt: expect.any(String) });

    for (const permission of ['api.model.read', 'api.file.write']) {
      expect(await check(o, { userId: user }, permission, project)).toMatchObject({ allowed: false, reason: 'no_grant', grants: [] });
      expect((await check(o, { userId: user }, permission, other)).allowed).toBe(true);
    }
    const effective = await o.api.get(`/orgs/${o.orgId}/users/${user}/permissions`);
    const visible = effective.body.projects.map((p: { projectId: string }) => p.projectId);
    expect(visible).toContain(other);
    expect(visible).not.toContain(project);

    const list = await o.api.get(`/orgs/${o.orgId}/projects`);
    expect(list.body.projects.map((p: { id: string }) => p.id)).not.toContain(project);
    const all = await o.api.get(`/orgs/${o.orgId}/projects?includeArchived=true`);
    expect(all.body.projects.map((p: { id: string }) => p.id)).toContain(project);

    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', id: user }, scope: inProject(project), roleId: 'preset:project-owner' }), 400);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/projects/${project}/service-accounts`, { name: 'late' }), 400);

    // Unarchiving brings the grants back.
    await o.api.patch(`/orgs/${o.orgId}/projects/${project}`, { archived: false });
    expect((await check(o, { userId: user }, 'api.model.read', project)).allowed).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------------

describe('policies and custom roles', () => {
  let o: Org;
  let project: string;
  beforeAll(async () => {
    o = await newOrg('roles');
    project = await newProject(o);
  });

  it('creates, lists, gets, edits and deletes a policy; names are unique', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'Files', description: 'file access', permissions: ['api.file.read', 'api.file.read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Files', description: 'file access', permissions: ['api.file.read'] });
    const id = created.body.id;
    expectProblem(await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'FILES', permissions: ['api.model.read'] }), 409);

    expect((await o.api.get(`/orgs/${o.orgId}/policies`)).body.policies.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await o.api.get(`/orgs/${o.orgId}/policies/${id}`)).body.name).toBe('Files');

    const edited = await o.api.patch(`/orgs/${o.orgId}/policies/${id}`, { name: 'Files RW', permissions: ['api.file.read', 'api.file.write'] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Files RW', permissions: ['api.file.read', 'api.file.write'] });

    const other = await o.api.post(`/orgs/${o.orgId}/policies`, { name: 'Other', permissions: ['api.model.read'] });
    expectProblem(await o.api.patch(`/orgs/${o.orgId}/policies/${other.body.id}`, { name: 'files rw' }), 409);
    expect((await o.api.get(`/orgs/${o.orgId}/policies/${other.body.id}`)).body.name).toBe('Other');

    expect((await o.api.delete(`/orgs/${o.orgId}/policies/${id}`)).status).toBe(204);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/policies/${id}`), 404);
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/policies/${id}`), 404);
  });

  it('creates, lists, gets, edits and deletes a custom role; names are unique', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Model readers', permissions: ['api.model.read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Model readers', scope: ORG, permissions: ['api.model.read'], policyIds: [], preset: false, version: 1 });
    const id = created.body.id;
    expectProblem(await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'model READERS', permissions: ['api.file.read'] }), 409);
    // The same name in a project scope is another role.
    expect((await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Model readers', scope: inProject(project), permissions: ['api.model.read'] })).status).toBe(201);
    // A role needs something to grant.
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'empty' }));

    expect((await o.api.get(`/orgs/${o.orgId}/roles/${id}`)).body).toEqual(created.body);
    const list = await o.api.get(`/orgs/${o.orgId}/roles`);
    expect(list.body.roles.filter((r: { preset: boolean }) => !r.preset).map((r: { id: string }) => r.id)).toContain(id);

    const edited = await o.api.patch(`/orgs/${o.orgId}/roles/${id}`, { name: 'Model and file readers', permissions: ['api.model.read', 'api.file.read'] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Model and file readers', permissions: ['api.model.read', 'api.file.read'], version: 2 });
    const second = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Second', permissions: ['api.model.read'] });
    expectProblem(await o.api.patch(`/orgs/${o.orgId}/roles/${second.body.id}`, { name: 'model and FILE readers' }), 409);
    expect((await o.api.get(`/orgs/${o.orgId}/roles/${second.body.id}`)).body.name).toBe('Second');
    // The name is unique per scope: a project role may take it.
    const projectRole = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Project-only', scope: inProject(project), permissions: ['api.model.read'] });
    expect((await o.api.patch(`/orgs/${o.orgId}/roles/${projectRole.body.id}`, { name: 'Model and file readers' })).status).toBe(200);

    expect((await o.api.delete(`/orgs/${o.orgId}/roles/${id}`)).status).toBe(204);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/roles/${id}`), 404);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'ghost-policy', policyIds: ['no-such-policy'] }), 404);
  });

  it('grants the union of a role\'s permissions and its policies\' permissions', async () => {
    const read = await o.api.post(`/orgs/${o.orgId}/policies`, { name: `read-${rand()}`, permissions: ['api.file.read'] });
    const write = await o.api.post(`/orgs/${o.orgId}/policies`, { name: `write-${rand()}`, permissions: ['api.file.write', 'api.eval.read'] });
    const role = await o.api.post(`/orgs/${o.orgId}/roles`, { name: `union-${rand()}`, permissions: ['api.model.read'], policyIds: [read.body.id, write.body.id] });
    expect(role.status).toBe(201);
    const user = await scimUser(o.scim, `union-${rand()}@example.com`);
    await bind(o, { type: 'user', id: user }, inProject(project), role.body.id);

    const direct = await check(o, { userId: user }, 'api.model.read', project);
    expect(direct).toMatchObject({ allowed: true, reason: 'granted' });
    expect(direct.grants[0]).toMatchObject({ roleId: role.body.id, via: { type: 'user', id: user } });
    expect(direct.grants[0].policyId).toBeUndefined();
    const viaRead = await check(o, { userId: user }, 'api.file.read', project);
    expect(viaRead).toMatchObject({ allowed: true, reason: 'granted' });
    expect(viaRead.grants[0]).toMatchObject({ roleId: role.body.id, policyId: read.body.id });
    for (const permission of ['api.file.write', 'api.eval.read']) {
      const r = await check(o, { userId: user }, permission, project);
      expect(r.allowed).toBe(true);
      expect(r.grants[0].policyId).toBe(write.body.id);
    }
    expect(await check(o, { userId: user }, 'api.eval.write', project)).toMatchObject({ allowed: false, reason: 'no_grant' });

    // A policy in use cannot be deleted; editing it reaches the role's users at once.
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/policies/${read.body.id}`), 409);
    const edit = await o.api.patch(`/orgs/${o.orgId}/policies/${read.body.id}`, { permissions: ['api.eval.write'] });
    expect(edit.status).toBe(200);
    expect(edit.headers['x-change-id']).toEqual(expect.any(String));
    expect((await check(o, { userId: user }, 'api.eval.write', project)).allowed).toBe(true);
    expect(await check(o, { userId: user }, 'api.file.read', project)).toMatchObject({ allowed: false, reason: 'no_grant' });
  });

  it('applies a role\'s permission edits to the users bound to it (through a group)', async () => {
    const role = await o.api.post(`/orgs/${o.orgId}/roles`, { name: `editable-${rand()}`, permissions: ['api.model.read'] });
    const member = await scimUser(o.scim, `edit-m-${rand()}@example.com`);
    const outsider = await scimUser(o.scim, `edit-o-${rand()}@example.com`);
    const groupName = `Editors ${rand()}`;
    await scimGroup(o.scim, groupName, [member]);
    await bind(o, { type: 'group', displayName: groupName }, inProject(project), role.body.id);
    expect((await check(o, { userId: member }, 'api.model.read', project)).allowed).toBe(true);
    expect(await check(o, { userId: member }, 'api.thread.write', project)).toMatchObject({ allowed: false, reason: 'no_grant' });

    const added = await o.api.patch(`/orgs/${o.orgId}/roles/${role.body.id}`, { permissions: ['api.model.read', 'api.thread.write'] });
    expect(added.status).toBe(200);
    expect(added.headers['x-change-id']).toEqual(expect.any(String));
    expect(await check(o, { userId: member }, 'api.thread.write', project)).toMatchObject({ allowed: true, reason: 'granted' });
    expect((await check(o, { userId: outsider }, 'api.thread.write', project)).allowed).toBe(false);

    await o.api.patch(`/orgs/${o.orgId}/roles/${role.body.id}`, { permissions: ['api.thread.write'] });
    expect(await check(o, { userId: member }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'no_grant' });
    expect((await check(o, { userId: member }, 'api.thread.write', project)).allowed).toBe(true);

    // A bound role cannot be deleted.
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/roles/${role.body.id}`), 409);
  });

  it('lists the preset roles and refuses to change or delete them', async () => {
    const presets = await o.api.get('/preset-roles');
    expect(presets.status).toBe(200);
    const ids = presets.body.roles.map((r: { id: string }) => r.id);
    expect(ids).toEqual(['preset:org-owner', 'preset:org-reader', 'preset:project-owner', 'preset:project-member', 'preset:project-viewer']);

    const roles = await o.api.get(`/orgs/${o.orgId}/roles`);
    const listedPresets = roles.body.roles.filter((r: { preset: boolean }) => r.preset);
    expect(listedPresets.map((r: { id: string }) => r.id)).toEqual(ids);
    const owner = await o.api.get(`/orgs/${o.orgId}/roles/preset:org-owner`);
    expect(owner.status).toBe(200);
    expect(owner.body).toMatchObject({ id: 'preset:org-owner', preset: true, scope: 'organization' });
    expect(owner.body.permissions).toContain('api.organization_admin.write');

    const patch = await o.api.patch(`/orgs/${o.orgId}/roles/preset:org-reader`, { permissions: ['api.model.read'] });
    expectProblem(patch, 409);
    expectProblem(await o.api.patch(`/orgs/${o.orgId}/roles/preset:project-viewer`, { name: 'Renamed' }), 409);
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/roles/preset:org-owner`), 409);
    const after = await o.api.get(`/orgs/${o.orgId}/roles/preset:org-reader`);
    expect(after.body.permissions).toEqual(presets.body.roles[1].permissions);
    expect(after.body.name).toBe('Org reader');
  });
});

// -------------------------------------------------------------------------------------------------

describe('bindings', () => {
  let o: Org;
  let project: string;
  let other: string;
  let alice: string;
  let bob: string;
  let carol: string;
  let groupId: string;
  const groupName = 'Platform Engineers';

  beforeAll(async () => {
    o = await newOrg('bindings');
    project = await newProject(o, 'Main');
    other = await newProject(o, 'Other');
    alice = await scimUser(o.scim, 'alice@example.com');
    bob = await scimUser(o.scim, 'bob@example.com');
    carol = await scimUser(o.scim, 'carol@example.com');
    groupId = await scimGroup(o.scim, groupName, [alice, bob]);
  });

  it('binds a SCIM group by displayName: members are granted through the group, others are not', async () => {
    const res = await bind(o, { type: 'group', displayName: groupName }, inProject(project), 'preset:project-member');
    expect(res.body).toMatchObject({
      id: expect.any(String),
      principal: { type: 'group', id: groupId, display: groupName },
      scope: { type: 'project', projectId: project },
      roleId: 'preset:project-member',
    });
    const changeId = res.headers['x-change-id'];
    expect(changeId).toEqual(expect.any(String));
    const change = await o.api.get(`/changes/${changeId}`);
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({ id: changeId, status: 'applied', appliedAt: expect.any(String) });

    for (const member of [alice, bob]) {
      const r = await check(o, { userId: member }, 'api.model.read', project);
      expect(r).toMatchObject({ allowed: true, reason: 'granted', subject: { type: 'user', id: member } });
      expect(r.grants).toEqual([
        expect.objectContaining({ bindingId: res.body.id, roleId: 'preset:project-member', via: { type: 'group', id: groupId, display: groupName } }),
      ]);
    }
    expect(await check(o, { userId: carol }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'no_grant', grants: [] });
    // A project binding reaches that project only, and only the role's permissions.
    expect(await check(o, { userId: alice }, 'api.model.read', other)).toMatchObject({ allowed: false, reason: 'no_grant' });
    expect(await check(o, { userId: alice }, 'api.project_administration.write', project)).toMatchObject({ allowed: false, reason: 'no_grant' });
    expect(await check(o, { userId: alice }, 'api.model.read')).toMatchObject({ allowed: false, reason: 'project_required' });
    expect(await check(o, { userId: alice }, 'api.no_such.read', project)).toMatchObject({ allowed: false, reason: 'unknown_permission' });

    // Binding again is idempotent: the same binding, not a second one.
    const again = await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'group', id: groupId }, scope: inProject(project), roleId: 'preset:project-member' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(res.body.id);
    const listed = await o.api.get(`/orgs/${o.orgId}/bindings?principalType=group&principalId=${groupId}`);
    expect(listed.body.bindings.map((b: { id: string }) => b.id)).toEqual([res.body.id]);
    expect((await o.api.get(`/orgs/${o.orgId}/bindings/${res.body.id}`)).body).toEqual(res.body);

    // Deleting the binding removes the access at once.
    const del = await o.api.delete(`/orgs/${o.orgId}/bindings/${res.body.id}`);
    expect(del.status).toBe(204);
    expect(del.headers['x-change-id']).toEqual(expect.any(String));
    expect(await check(o, { userId: alice }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'no_grant' });
    expectProblem(await o.api.get(`/orgs/${o.orgId}/bindings/${res.body.id}`), 404);
    const deleted = await o.api.get(`/changes/${del.headers['x-change-id']}?wait=1000`);
    expect(deleted.body.status).toBe('applied');
  });

  it('binds a user by userName; the check by userName agrees', async () => {
    const res = await bind(o, { type: 'user', userName: 'CAROL@example.com' }, inProject(other), 'preset:project-viewer');
    expect(res.body.principal).toEqual({ type: 'user', id: carol, display: 'carol@example.com' });
    const byName = await check(o, { userName: 'carol@example.com' }, 'api.model.read', other);
    expect(byName).toMatchObject({ allowed: true, reason: 'granted', subject: { type: 'user', id: carol } });
    expect(byName.grants[0].via).toEqual({ type: 'user', id: carol });
    // Viewers make no changes.
    expect(await check(o, { userName: 'carol@example.com' }, 'api.file.write', other)).toMatchObject({ allowed: false, reason: 'no_grant' });
    expect(await check(o, { userName: 'nobody@example.com' }, 'api.model.read', other)).toMatchObject({ allowed: false, reason: 'unknown_subject' });
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', userName: 'nobody@example.com' }, scope: ORG, roleId: 'preset:org-reader' }), 404);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'group', displayName: 'No Such Group' }, scope: ORG, roleId: 'preset:org-reader' }), 404);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', id: carol }, scope: ORG, roleId: 'no-such-role' }), 404);
    await o.api.delete(`/orgs/${o.orgId}/bindings/${res.body.id}`);
  });

  it('lets an organization-level binding reach every project, including ones created later', async () => {
    const dave = await scimUser(o.scim, 'dave@example.com');
    const res = await bind(o, { type: 'user', id: dave }, ORG, 'preset:org-reader');
    for (const p of [project, other]) {
      const r = await check(o, { userId: dave }, 'api.model.read', p);
      expect(r).toMatchObject({ allowed: true, reason: 'granted' });
      expect(r.grants[0]).toMatchObject({ bindingId: res.body.id, scope: 'organization' });
    }
    const later = await newProject(o, 'Later');
    expect((await check(o, { userId: dave }, 'api.model.read', later)).allowed).toBe(true);
    // Org readers hold no organization settings.
    expect(await check(o, { userId: dave }, 'api.organization_admin.read')).toMatchObject({ allowed: false, reason: 'no_grant' });

    const owner = await bind(o, { type: 'user', id: dave }, ORG, 'preset:org-owner');
    expect(await check(o, { userId: dave }, 'api.organization_admin.read')).toMatchObject({ allowed: true, reason: 'granted' });
    await o.api.delete(`/orgs/${o.orgId}/bindings/${owner.body.id}`);
    expect((await check(o, { userId: dave }, 'api.organization_admin.read')).allowed).toBe(false);

    // A project role is bound in a project, never at organization level.
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', id: dave }, scope: ORG, roleId: 'preset:project-owner' }), 400);
    await o.api.delete(`/orgs/${o.orgId}/bindings/${res.body.id}`);
    for (const p of [project, other, later]) expect((await check(o, { userId: dave }, 'api.model.read', p)).allowed).toBe(false);
  });

  it('binds a project-scoped custom role only in its own project', async () => {
    const role = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Main only', scope: inProject(project), permissions: ['api.dataset.read'] });
    expect(role.status).toBe(201);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', id: carol }, scope: inProject(other), roleId: role.body.id }), 400);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'user', id: carol }, scope: ORG, roleId: role.body.id }), 400);
    const ok = await bind(o, { type: 'user', id: carol }, inProject(project), role.body.id);
    expect((await check(o, { userId: carol }, 'api.dataset.read', project)).allowed).toBe(true);
    expect((await check(o, { userId: carol }, 'api.dataset.read', other)).allowed).toBe(false);
    await o.api.delete(`/orgs/${o.orgId}/bindings/${ok.body.id}`);
  });
});

// -------------------------------------------------------------------------------------------------

describe('service accounts', () => {
  let o: Org;
  let project: string;
  let other: string;
  beforeAll(async () => {
    o = await newOrg('svc');
    project = await newProject(o, 'Home');
    other = await newProject(o, 'Elsewhere');
  });

  it('creates a service account in a project, binds it there, and checks it', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/projects/${project}/service-accounts`, { name: 'ci-bot' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), projectId: project, name: 'ci-bot', active: true });
    const sa = created.body.id;
    expect((await o.api.get(`/orgs/${o.orgId}/projects/${project}/service-accounts`)).body.serviceAccounts.map((s: { id: string }) => s.id)).toEqual([sa]);
    expect((await o.api.get(`/orgs/${o.orgId}/projects/${other}/service-accounts`)).body.serviceAccounts).toEqual([]);

    expect(await check(o, { serviceAccountId: sa }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'no_grant' });
    const b = await bind(o, { type: 'serviceAccount', id: sa }, inProject(project), 'preset:project-member');
    expect(b.body.principal).toEqual({ type: 'serviceAccount', id: sa, display: 'ci-bot' });
    const r = await check(o, { serviceAccountId: sa }, 'api.model.read', project);
    expect(r).toMatchObject({ allowed: true, reason: 'granted', subject: { type: 'serviceAccount', id: sa } });
    expect(r.grants[0].via).toEqual({ type: 'serviceAccount', id: sa });
    expect((await check(o, { serviceAccountId: sa }, 'api.model.read', other)).allowed).toBe(false);

    const eff = await o.api.get(`/orgs/${o.orgId}/service-accounts/${sa}/permissions`);
    expect(eff.status).toBe(200);
    expect(eff.body.projects.map((p: { projectId: string }) => p.projectId)).toEqual([project]);

    // Deleted: it holds nothing.
    expect((await o.api.delete(`/orgs/${o.orgId}/service-accounts/${sa}`)).status).toBe(204);
    expect((await check(o, { serviceAccountId: sa }, 'api.model.read', project)).allowed).toBe(false);
    expect(await check(o, { serviceAccountId: 'no-such-sa' }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'unknown_subject' });
  });

  it('refuses to bind a service account outside its project', async () => {
    const sa = (await o.api.post(`/orgs/${o.orgId}/projects/${project}/service-accounts`, { name: 'stay-home' })).body.id;
    const elsewhere = await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'serviceAccount', id: sa }, scope: inProject(other), roleId: 'preset:project-member' });
    expectProblem(elsewhere, 400);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/bindings`, { principal: { type: 'serviceAccount', id: sa }, scope: ORG, roleId: 'preset:org-reader' }), 400);
    expect((await o.api.get(`/orgs/${o.orgId}/bindings?principalId=${sa}`)).body.bindings).toEqual([]);
    expect((await check(o, { serviceAccountId: sa }, 'api.model.read', other)).allowed).toBe(false);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/projects/no-such-project/service-accounts`, { name: 'x' }), 404);
  });
});

// -------------------------------------------------------------------------------------------------

describe('API keys', () => {
  let o: Org;
  let project: string;
  let other: string;
  let owner: string;
  let groupId: string;

  beforeAll(async () => {
    o = await newOrg('apikeys');
    project = await newProject(o, 'Keys');
    other = await newProject(o, 'Not keys');
    owner = await scimUser(o.scim, 'key-owner@example.com');
    groupId = await scimGroup(o.scim, 'Key Holders', [owner]);
    await bind(o, { type: 'group', id: groupId }, inProject(project), 'preset:project-member');
  });

  async function createKey(body: Record<string, unknown>) {
    const res = await o.api.post(`/orgs/${o.orgId}/api-keys`, body);
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; hint: string };
  }

  it('shows the secret once and never again; lists show a hint', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/api-keys`, {
      projectId: project,
      name: 'laptop',
      owner: { type: 'user', id: owner },
      permissions: ['api.model.read'],
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toEqual(expect.any(String));
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'laptop',
      projectId: project,
      owner: { type: 'user', id: owner },
      permissions: ['api.model.read'],
      hint: `...${secret.slice(-4)}`,
      revoked: false,
      lastUsedAt: null,
    });
    expect(created.body.hash).toBeUndefined();

    const list = await o.api.get(`/orgs/${o.orgId}/api-keys`);
    expect(list.status).toBe(200);
    const listed = list.body.apiKeys.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'laptop', hint: `...${secret.slice(-4)}` });
    const one = await o.api.get(`/orgs/${o.orgId}/api-keys/${created.body.id}`);
    expect(one.status).toBe(200);
    for (const body of [list.body, one.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(0, -4));
      expect(text).not.toMatch(/"secret"|"hash"/);
    }
    expect((await o.api.get(`/orgs/${o.orgId}/api-keys?ownerId=${owner}`)).body.apiKeys.length).toBeGreaterThanOrEqual(1);
    expect((await o.api.get(`/orgs/${o.orgId}/api-keys?projectId=${other}`)).body.apiKeys).toEqual([]);
  });

  it('allows a key only when the key carries the permission and its owner holds it', async () => {
    const some = await createKey({ projectId: project, name: 'some', owner: { type: 'user', id: owner }, permissions: ['api.model.read', 'api.project_administration.read'] });
    const all = await createKey({ projectId: project, name: 'all', owner: { type: 'user', id: owner }, permissions: 'all' });

    const ok = await check(o, { apiKey: some.secret }, 'api.model.read', project);
    expect(ok).toMatchObject({ allowed: true, reason: 'granted', subject: { type: 'apiKey', id: some.id } });
    // The key's own project is assumed when none is given.
    expect((await check(o, { apiKey: some.secret }, 'api.model.read')).allowed).toBe(true);
    expect((await check(o, { apiKeyId: some.id }, 'api.model.read', project)).allowed).toBe(true);
    // The owner holds api.file.write, the key does not carry it.
    expect(await check(o, { apiKey: some.secret }, 'api.file.write', project)).toMatchObject({ allowed: false, reason: 'key_lacks_permission' });
    expect((await check(o, { apiKey: all.secret }, 'api.file.write', project)).allowed).toBe(true);
    // The key carries api.project_administration.read, its owner (a project member) does not hold it.
    expect(await check(o, { apiKey: some.secret }, 'api.project_administration.read', project)).toMatchObject({ allowed: false, reason: 'owner_no_grant' });
    expect(await check(o, { apiKey: all.secret }, 'api.project_administration.read', project)).toMatchObject({ allowed: false, reason: 'owner_no_grant' });
    // A key is good in its own project only, and never for organization settings.
    expect(await check(o, { apiKey: all.secret }, 'api.model.read', other)).toMatchObject({ allowed: false, reason: 'key_other_project' });
    expect(await check(o, { apiKey: all.secret }, 'api.usage.read')).toMatchObject({ allowed: false, reason: 'key_project_scoped' });
    expect(await check(o, { apiKey: 'sk_not-a-key' }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'key_unknown' });

    // Refused at creation: organization-level permissions, unknown permissions, foreign projects, unknown owners.
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'x', owner: { type: 'user', id: owner }, permissions: ['api.usage.read'] }), 400);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'x', owner: { type: 'user', id: owner }, permissions: ['api.nope.read'] }), 400);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: 'no-such-project', name: 'x', owner: { type: 'user', id: owner }, permissions: 'all' }), 404);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'x', owner: { type: 'user', id: 'no-such-user' }, permissions: 'all' }), 404);
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'x', owner: { type: 'user', id: owner }, permissions: [] }), 'permissions');
  });

  it('denies a key once its owner leaves the group that granted the permission', async () => {
    const leaver = await scimUser(o.scim, `leaver-${rand()}@example.com`);
    const patchAdd = await o.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: leaver }] }] });
    expect(patchAdd.status).toBe(200);
    await h.c.accessRecompute.recomputeUser(o.orgId, leaver);
    const key = await createKey({ projectId: project, name: 'leaver key', owner: { type: 'user', id: leaver }, permissions: ['api.model.read'] });
    expect((await check(o, { apiKey: key.secret }, 'api.model.read', project)).allowed).toBe(true);

    const removed = await o.scim.patch(`/Groups/${groupId}`, { schemas: [PATCH_URN], Operations: [{ op: 'remove', path: `members[value eq "${leaver}"]` }] });
    expect([200, 204]).toContain(removed.status);
    // SCIM writes propagate through the workers; this stands in for them.
    await h.c.accessRecompute.recomputeUser(o.orgId, leaver);
    const denied = await check(o, { apiKey: key.secret }, 'api.model.read', project);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toMatch(/^owner_/);
    // The key itself is untouched; the owner simply no longer holds the permission.
    expect((await o.api.get(`/orgs/${o.orgId}/api-keys/${key.id}`)).body.revoked).toBe(false);
    // The remaining member's keys are unaffected.
    expect((await check(o, { userId: owner }, 'api.model.read', project)).allowed).toBe(true);
  });

  it('denies a revoked key with key_revoked', async () => {
    const key = await createKey({ projectId: project, name: 'to revoke', owner: { type: 'user', id: owner }, permissions: 'all' });
    expect((await check(o, { apiKey: key.secret }, 'api.model.read', project)).allowed).toBe(true);
    const revoked = await o.api.post(`/orgs/${o.orgId}/api-keys/${key.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key.id, revoked: true, revokedAt: expect.any(String), revokedReason: expect.any(String) });
    expect(JSON.stringify(revoked.body)).not.toContain(key.secret);
    expect(await check(o, { apiKey: key.secret }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'key_revoked', grants: [] });
    expect(await check(o, { apiKeyId: key.id }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'key_revoked' });
    // Revoking twice is harmless.
    expect((await o.api.post(`/orgs/${o.orgId}/api-keys/${key.id}/revoke`)).body.revoked).toBe(true);
  });

  it('records when a key was last used', async () => {
    const key = await createKey({ projectId: project, name: 'used', owner: { type: 'user', id: owner }, permissions: 'all' });
    expect((await o.api.get(`/orgs/${o.orgId}/api-keys/${key.id}`)).body.lastUsedAt).toBeNull();
    const before = Date.now();
    await check(o, { apiKey: key.secret }, 'api.model.read', project);
    const after = await eventually(
      async () => (await o.api.get(`/orgs/${o.orgId}/api-keys/${key.id}`)).body,
      (b) => b.lastUsedAt !== null,
    );
    expect(after.lastUsedAt).toEqual(expect.any(String));
    expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('issues keys to service accounts of the same project only', async () => {
    const sa = (await o.api.post(`/orgs/${o.orgId}/projects/${project}/service-accounts`, { name: 'keyed-bot' })).body.id;
    await bind(o, { type: 'serviceAccount', id: sa }, inProject(project), 'preset:project-viewer');
    const key = await createKey({ projectId: project, name: 'bot key', owner: { type: 'serviceAccount', id: sa }, permissions: 'all' });
    expect((await check(o, { apiKey: key.secret }, 'api.model.read', project)).allowed).toBe(true);
    expect(await check(o, { apiKey: key.secret }, 'api.file.write', project)).toMatchObject({ allowed: false, reason: 'owner_no_grant' });
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: other, name: 'x', owner: { type: 'serviceAccount', id: sa }, permissions: 'all' }), 400);
  });
});

// -------------------------------------------------------------------------------------------------

describe('batch checks', () => {
  let o: Org;
  let project: string;
  let member: string;
  let outsider: string;
  beforeAll(async () => {
    o = await newOrg('batch');
    project = await newProject(o);
    member = await scimUser(o.scim, 'batch-member@example.com');
    outsider = await scimUser(o.scim, 'batch-outsider@example.com');
    await bind(o, { type: 'user', id: member }, inProject(project), 'preset:project-viewer');
  });

  it('answers 100 checks with 100 results in request order', async () => {
    const permissions = ['api.model.read', 'api.file.write', 'api.file.read', 'api.organization_admin.read'];
    const checks = Array.from({ length: 100 }, (_, i) => ({
      subject: i % 3 === 0 ? { userId: outsider } : { userId: member },
      permission: permissions[i % permissions.length],
      projectId: project,
    }));
    const res = await o.api.post('/access/check-batch', { checks });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(100);
    res.body.results.forEach((r: { allowed: boolean; subject: { id: string } }, i: number) => {
      const c = checks[i];
      const expected = 'userId' in c.subject && c.subject.userId === member && ['api.model.read', 'api.file.read'].includes(c.permission);
      expect({ i, allowed: r.allowed, subject: r.subject.id }).toEqual({ i, allowed: expected, subject: c.subject.userId });
    });
  });

  it('refuses more than 1,000 checks and an empty batch', async () => {
    const one = { subject: { userId: member }, permission: 'api.model.read', projectId: project };
    expect((await o.api.post('/access/check-batch', { checks: Array.from({ length: 1000 }, () => one) })).body.results).toHaveLength(1000);
    const tooMany = await o.api.post('/access/check-batch', { checks: Array.from({ length: 1001 }, () => one) });
    expectValidationProblem(tooMany, 'checks');
    expect(tooMany.body.results).toBeUndefined();
    expectValidationProblem(await o.api.post('/access/check-batch', { checks: [] }), 'checks');
  });
});

// -------------------------------------------------------------------------------------------------

describe('effective permissions', () => {
  let o: Org;
  let p1: string;
  let p2: string;
  let user: string;
  beforeAll(async () => {
    o = await newOrg('effective');
    p1 = await newProject(o, 'One');
    p2 = await newProject(o, 'Two');
    await newProject(o, 'Three');
    user = await scimUser(o.scim, 'eff@example.com');
    await bind(o, { type: 'user', id: user }, inProject(p1), 'preset:project-member');
    await bind(o, { type: 'user', id: user }, inProject(p2), 'preset:project-viewer');
  });

  const perms = (p: { permissions: Array<{ permission: string }> }) => p.permissions.map((x) => x.permission);

  it('lists a user\'s permissions in every project', async () => {
    const res = await o.api.get(`/orgs/${o.orgId}/users/${user}/permissions`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject: { type: 'user', id: user }, isActive: true, organization: [] });
    const byProject = new Map(res.body.projects.map((p: { projectId: string }) => [p.projectId, p]));
    expect([...byProject.keys()].sort()).toEqual([p1, p2].sort());
    const one = byProject.get(p1) as { permissions: Array<{ permission: string; grants: unknown[] }> };
    const two = byProject.get(p2) as { permissions: Array<{ permission: string; grants: unknown[] }> };
    expect(perms(one)).toEqual(expect.arrayContaining(['api.model.read', 'api.file.write']));
    expect(perms(two)).toContain('api.model.read');
    expect(perms(two)).not.toContain('api.file.write');
    expect(one.permissions[0].grants[0]).toMatchObject({ roleId: 'preset:project-member', via: { type: 'user', id: user } });
  });

  it('narrows to one project with ?projectId=', async () => {
    const res = await o.api.get(`/orgs/${o.slug}/users/${user}/permissions?projectId=${p2}`);
    expect(res.status).toBe(200);
    expect(res.body.projects).toHaveLength(1);
    expect(res.body.projects[0].projectId).toBe(p2);
    expect(perms(res.body.projects[0])).not.toContain('api.file.write');
    expect((await o.api.get(`/orgs/${o.orgId}/users/${user}/permissions?projectId=no-such-project`)).body.projects).toEqual([]);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/users/no-such-user/permissions`), 404);
  });
});

// -------------------------------------------------------------------------------------------------

describe('deactivation', () => {
  it('denies a deactivated user at once (inactive), without any recompute', async () => {
    const o = await newOrg('deact');
    const project = await newProject(o);
    const user = await scimUser(o.scim, 'leaving@example.com');
    const stays = await scimUser(o.scim, 'staying@example.com');
    await scimGroup(o.scim, 'Staff', [user, stays]);
    await bind(o, { type: 'group', displayName: 'Staff' }, inProject(project), 'preset:project-member');
    const key = await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'k', owner: { type: 'user', id: user }, permissions: 'all' });
    expect((await check(o, { userId: user }, 'api.model.read', project)).allowed).toBe(true);
    expect((await check(o, { apiKey: key.body.secret }, 'api.model.read', project)).allowed).toBe(true);

    const res = await o.scim.patch(`/Users/${user}`, deactivate);
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);

    expect(await check(o, { userId: user }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'inactive', grants: [] });
    expect(await check(o, { userName: 'leaving@example.com' }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'inactive' });
    expect(await check(o, { apiKey: key.body.secret }, 'api.model.read', project)).toMatchObject({ allowed: false, reason: 'owner_inactive' });
    const eff = await o.api.get(`/orgs/${o.orgId}/users/${user}/permissions`);
    // Effective permissions agree with the checks: a deactivated user holds nothing.
    expect(eff.body).toMatchObject({ isActive: false, organization: [], projects: [] });
    expect((await o.api.get(`/orgs/${o.orgId}/users/${user}/permissions?projectId=${project}`)).body.projects).toEqual([]);
    // Nobody else is affected.
    expect((await check(o, { userId: stays }, 'api.model.read', project)).allowed).toBe(true);
    // And new keys cannot be issued to the deactivated user.
    expectProblem(await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId: project, name: 'k2', owner: { type: 'user', id: user }, permissions: 'all' }), 400);
  });
});

// -------------------------------------------------------------------------------------------------

describe('directories and tokens', () => {
  let o: Org;
  beforeAll(async () => {
    o = await newOrg('dirs');
  });

  it('creates a directory whose token (shown once) works for SCIM; rotates and revokes tokens', async () => {
    const created = await o.api.post(`/orgs/${o.orgId}/directories`, { name: 'Corporate Okta', provider: 'okta' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'Corporate Okta',
      provider: 'okta',
      scimBaseUrl: expect.stringMatching(/\/scim\/v2$/),
      token: expect.any(String),
      tokenId: expect.any(String),
    });
    const first = { ...o.dir, directoryId: created.body.id, token: created.body.token as string };
    const scim1 = h.as(first);
    expect((await scimUser(scim1, 'via-new-dir@example.com')).length).toBeGreaterThan(0);
    expect((await scim1.get('/Users')).body.totalResults).toBe(1);

    const listed = await o.api.get(`/orgs/${o.orgId}/directories`);
    expect(listed.body.directories.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining([o.dir.directoryId, created.body.id]));
    expect(JSON.stringify(listed.body)).not.toContain(first.token);
    expectProblem(await o.api.post(`/orgs/${o.orgId}/directories`, { name: 'corporate okta', provider: 'entra' }), 409);
    expectValidationProblem(await o.api.post(`/orgs/${o.orgId}/directories`, { name: 'x', provider: 'ldap' }), 'provider');

    const second = await o.api.post(`/orgs/${o.orgId}/directories/${created.body.id}/tokens`);
    expect(second.status).toBe(201);
    expect(second.body).toEqual({ tokenId: expect.any(String), token: expect.any(String) });
    const scim2 = h.as({ ...first, token: second.body.token });
    expect((await scim1.get('/Users')).status).toBe(200);
    expect((await scim2.get('/Users')).status).toBe(200);

    const tokens = await o.api.get(`/orgs/${o.orgId}/directories/${created.body.id}/tokens`);
    expect(tokens.status).toBe(200);
    expect(tokens.body.tokens).toHaveLength(2);
    const tokensText = JSON.stringify(tokens.body);
    expect(tokensText).not.toContain(first.token);
    expect(tokensText).not.toContain(second.body.token);
    expect(tokensText).not.toContain('"hash"');

    expect((await o.api.delete(`/orgs/${o.orgId}/directories/${created.body.id}/tokens/${created.body.tokenId}`)).status).toBe(204);
    expect((await scim1.get('/Users')).status).toBe(401);
    expect((await scim2.get('/Users')).status).toBe(200);
    expect((await scim2.get('/Users')).body.totalResults).toBe(1);
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/directories/${created.body.id}/tokens/no-such-token`), 404);
  });

  it('keeps another organization\'s directories out of reach', async () => {
    const other = await newOrg('dirs-other');
    expectProblem(await o.api.post(`/orgs/${o.orgId}/directories/${other.dir.directoryId}/tokens`), 404);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/directories/${other.dir.directoryId}/tokens`), 404);
    const [t] = await h.c.tenancy.listTokens(other.dir.directoryId);
    expectProblem(await o.api.delete(`/orgs/${o.orgId}/directories/${other.dir.directoryId}/tokens/${t.id}`), 404);
    expect((await other.scim.get('/Users')).status).toBe(200);
  });
});

// -------------------------------------------------------------------------------------------------

describe('audit', () => {
  let o: Org;
  const secrets: string[] = [];
  let projectId: string;
  let scimUserId: string;

  beforeAll(async () => {
    o = await newOrg('audit');
    secrets.push(o.secret, o.dir.token);
    projectId = await newProject(o, 'Audited');
    await o.api.patch(`/orgs/${o.orgId}/projects/${projectId}`, { name: 'Audited Renamed' });
    const role = await o.api.post(`/orgs/${o.orgId}/roles`, { name: 'Audit role', permissions: ['api.model.read'] });
    scimUserId = await scimUser(o.scim, 'audited@example.com', { password: 'Pa55word!audit' });
    secrets.push('Pa55word!audit');
    await bind(o, { type: 'user', id: scimUserId }, inProject(projectId), role.body.id);
    const key = await o.api.post(`/orgs/${o.orgId}/api-keys`, { projectId, name: 'audited key', owner: { type: 'user', id: scimUserId }, permissions: 'all' });
    secrets.push(key.body.secret);
    await o.api.post(`/orgs/${o.orgId}/api-keys/${key.body.id}/revoke`);
    const dir = await o.api.post(`/orgs/${o.orgId}/directories`, { name: 'Audited dir', provider: 'entra' });
    secrets.push(dir.body.token);
    const tok = await o.api.post(`/orgs/${o.orgId}/directories/${dir.body.id}/tokens`);
    secrets.push(tok.body.token);
    await o.api.delete(`/orgs/${o.orgId}/directories/${dir.body.id}/tokens/${dir.body.tokenId}`);
    await o.scim.patch(`/Users/${scimUserId}`, deactivate);
  });

  type Ev = { id: string; at: string; actor: { type: string; id: string; name?: string }; action: string; target: { type: string; id: string; display?: string } };
  const audit = async (query = '') => {
    const res = await o.api.get(`/orgs/${o.orgId}/audit${query}`);
    expect(res.status).toBe(200);
    return res.body as { events: Ev[]; nextCursor: string | null };
  };
  // SCIM audit events are written after the response; wait for them.
  const allEvents = () =>
    eventually(
      () => audit(),
      (p) => ['scim.user.created', 'scim.user.deactivated'].every((a) => p.events.some((e) => e.action === a)),
    );
  const at = (e: Ev) => new Date(e.at).getTime();

  it('lists events newest first with actor, action and target', async () => {
    const { events } = await allEvents();
    const actions = events.map((e) => e.action);
    for (const a of [
      'project.created',
      'project.renamed',
      'role.created',
      'binding.created',
      'api_key.created',
      'api_key.revoked',
      'directory.created',
      'directory.token_issued',
      'directory.token_revoked',
      'scim.user.created',
      'scim.user.deactivated',
    ]) {
      expect(actions).toContain(a);
    }
    const times = events.map((e) => new Date(e.at).getTime());
    expect(times).toEqual([...times].sort((x, y) => y - x));
    // Newest first: the renaming is listed above the creation it follows (or, within one millisecond, beside it).
    const byAction = (a: string) => events.find((e) => e.action === a)!;
    for (const [later, earlier] of [['project.renamed', 'project.created'], ['api_key.revoked', 'api_key.created'], ['scim.user.deactivated', 'scim.user.created']]) {
      expect(at(byAction(later))).toBeGreaterThanOrEqual(at(byAction(earlier)));
      if (at(byAction(later)) > at(byAction(earlier))) expect(actions.indexOf(later)).toBeLessThan(actions.indexOf(earlier));
    }

    const created = events.find((e) => e.action === 'project.created')!;
    expect(created.actor).toMatchObject({ type: 'adminKey', id: o.keyId });
    expect(created.target).toMatchObject({ type: 'project', id: projectId, display: 'Audited' });
    expect(events.find((e) => e.action === 'binding.created')!.target.type).toBe('binding');
  });

  it('shows SCIM writes with the directory token as actor', async () => {
    const { events } = await allEvents();
    for (const action of ['scim.user.created', 'scim.user.deactivated']) {
      const e = events.find((x) => x.action === action)!;
      expect(e.actor).toMatchObject({ type: 'directoryToken', id: o.dir.directoryId });
      expect(e.target).toMatchObject({ type: 'user', id: scimUserId });
    }
    const scimOnly = await audit('?actorType=directoryToken');
    expect(scimOnly.events.length).toBeGreaterThanOrEqual(2);
    expect(scimOnly.events.every((e) => e.actor.type === 'directoryToken')).toBe(true);
  });

  it('filters by action, actor and target', async () => {
    await allEvents();
    const { events } = await audit('?action=project.created');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'project.created', target: { id: projectId } });
    expect((await audit('?action=no.such.action')).events).toEqual([]);
    const byTarget = await audit(`?targetType=project&targetId=${projectId}`);
    expect(byTarget.events.map((e) => e.action).sort()).toEqual(['project.created', 'project.renamed']);
    expect(at(byTarget.events[0])).toBeGreaterThanOrEqual(at(byTarget.events[1]));
    const scimUserEvents = await audit(`?targetId=${scimUserId}&actorType=directoryToken`);
    expect(scimUserEvents.events.map((e) => e.action).sort()).toEqual(['scim.user.created', 'scim.user.deactivated']);
  });

  it('pages with limit and nextCursor through every event exactly once', async () => {
    const everything = (await allEvents()).events;
    expect(everything.length).toBeGreaterThan(5);
    const seen: Ev[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { events: Ev[]; nextCursor: string | null } = await audit(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    expect(cursor).toBeNull();
    expect(pages).toBe(Math.ceil(everything.length / 3));
    expect(seen.map((e) => e.id)).toEqual(everything.map((e) => e.id));
    expectValidationProblem(await o.api.get(`/orgs/${o.orgId}/audit?limit=0`), 'limit');
    expectProblem(await o.api.get(`/orgs/${o.orgId}/audit?cursor=not-a-cursor`), 400);
  });

  it('never contains a secret', async () => {
    const text = JSON.stringify((await allEvents()).events);
    expect(secrets.filter(Boolean).length).toBe(6);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/"(secret|token|hash|password|passwordHash)"/);
  });
});

// -------------------------------------------------------------------------------------------------

describe('permission catalog', () => {
  it('lists every permission, including api.model.read, to any valid admin key', async () => {
    const o = await newOrg('catalog');
    const reader = await h.adminKey(o.orgId, 'preset:org-reader');
    for (const api of [o.api, reader.api]) {
      const res = await api.get('/permissions');
      expect(res.status).toBe(200);
      const model = res.body.permissions.find((p: { id: string }) => p.id === 'api.model.read');
      expect(model).toMatchObject({ id: 'api.model.read', level: 'project', customRoleEligible: true, description: expect.any(String) });
      expect(res.body.permissions.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(['api.organization_admin.write', 'api.project_api_key.read']));
    }
    expectProblem(await request(h.app).get('/api/v1/permissions'), 401);
  });
});
