import { GROUP_URN, newUser, PATCH_URN, scimErrorBody, startHarness, type Harness, type ScimClient, type TestDirectory } from '../support/harness';

let h: Harness;
let dir: TestDirectory;
let scim: ScimClient;

beforeAll(async () => {
  h = await startHarness();
  dir = await h.directory('entra');
  scim = h.as(dir);
});
afterAll(() => h.close());

async function users(c: ScimClient, prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await c.post('/Users', newUser(`${prefix}-${i}`))).body.id);
  return ids;
}

const memberIds = (body: { members?: Array<{ value: string }> }) => (body.members ?? []).map((m) => m.value).sort();

describe('SCIM Groups', () => {
  it('creates a group with members and returns them', async () => {
    const [a, b] = await users(scim, 'g1', 2);
    const res = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Engineering', members: [{ value: a }, { value: b }] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/\/scim\/v2\/Groups\//);
    expect(memberIds(res.body)).toEqual([a, b].sort());
    const got = await scim.get(`/Groups/${res.body.id}`);
    expect(memberIds(got.body)).toEqual([a, b].sort());
    expect(got.body.members[0]).toMatchObject({ type: 'User', $ref: expect.stringContaining('/Users/') });
  });

  it('shows a user the groups it belongs to', async () => {
    const [a] = await users(scim, 'g2', 1);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Readers', members: [{ value: a }] });
    const u = await scim.get(`/Users/${a}`);
    expect(u.body.groups).toEqual([expect.objectContaining({ value: g.body.id, display: 'Readers' })]);
  });

  it('does not load members when excludedAttributes=members', async () => {
    const [a] = await users(scim, 'g3', 1);
    await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Quiet', members: [{ value: a }] });
    const res = await scim.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "quiet"')}`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0].members).toBeUndefined();
    expect(res.body.Resources[0].displayName).toBe('Quiet');
  });

  it('adds and removes members with PATCH, never duplicating a re-added member', async () => {
    const [a, b, c] = await users(scim, 'g4', 3);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Patchers' });
    const add = await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: a }, { value: b }, { value: a }] }],
    });
    expect(add.status).toBe(200);
    expect(add.headers['x-change-id']).toEqual(expect.any(String));
    await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'add', path: 'members', value: [{ value: a }, { value: c }] }],
    });
    let got = await scim.get(`/Groups/${g.body.id}`);
    expect(memberIds(got.body)).toEqual([a, b, c].sort());
    await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'Remove', path: `members[value eq "${b}"]` }],
    });
    got = await scim.get(`/Groups/${g.body.id}`);
    expect(memberIds(got.body)).toEqual([a, c].sort());
  });

  it('removes only the listed members when Entra sends Remove with a value array', async () => {
    const [a, b, c] = await users(scim, 'g5', 3);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Keepers', members: [a, b, c].map((value) => ({ value })) });
    const res = await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: b }] }],
    });
    expect(res.status).toBe(200);
    const got = await scim.get(`/Groups/${g.body.id}`);
    expect(memberIds(got.body)).toEqual([a, c].sort());
  });

  it('answers the Okta rename PATCH that changes nothing without a new version or change', async () => {
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Okta Group' });
    const res = await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', value: { id: g.body.id, displayName: 'Okta Group' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.meta.version).toBe(g.body.meta.version);
    expect(res.headers['x-change-id']).toBeUndefined();
  });

  it('renames a group with PATCH replace displayName', async () => {
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Old Name' });
    const res = await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'Replace', path: 'displayName', value: 'New Name' }],
    });
    expect(res.body.displayName).toBe('New Name');
    expect(res.body.meta.version).not.toBe(g.body.meta.version);
  });

  it('takes a PUT member list as authoritative', async () => {
    const [a, b, c] = await users(scim, 'g6', 3);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Put Group', members: [{ value: a }, { value: b }] });
    const res = await scim.put(`/Groups/${g.body.id}`, { schemas: [GROUP_URN], displayName: 'Put Group', members: [{ value: b }, { value: c }] });
    expect(res.status).toBe(200);
    expect(memberIds(res.body)).toEqual([b, c].sort());
  });

  it('rejects members that do not exist in the directory, storing nothing', async () => {
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Strict' });
    const res = await scim.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(scimErrorBody(400, 'invalidValue'));
    const got = await scim.get(`/Groups/${g.body.id}`);
    expect(got.body.members ?? []).toEqual([]);
  });

  it('removes a deleted user from every group', async () => {
    const [a, b] = await users(scim, 'g7', 2);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Leavers', members: [{ value: a }, { value: b }] });
    await scim.delete(`/Users/${a}`);
    const got = await scim.get(`/Groups/${g.body.id}`);
    expect(memberIds(got.body)).toEqual([b]);
  });

  it('finds groups by members.value', async () => {
    const [a] = await users(scim, 'g8', 1);
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Findable', members: [{ value: a }] });
    const res = await scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${a}"`)}&excludedAttributes=members`);
    expect(res.body.Resources.map((x: { id: string }) => x.id)).toEqual([g.body.id]);
  });

  it('accepts concurrent member PATCHes to one group (as IdPs send them) without 409s or lost members', async () => {
    const ids = await users(scim, 'conc', 10);
    const g = (await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Concurrent' })).body.id;
    const results = await Promise.all(
      ids.map((value) => scim.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value }] }] })),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(memberIds((await scim.get(`/Groups/${g}`)).body)).toEqual([...ids].sort());
  });

  it('adds 1,000 members in one PATCH', async () => {
    const d = await h.directory('okta');
    const c = h.as(d);
    const ids = Array.from({ length: 1000 }, (_, i) => `u-${i}`);
    const now = new Date();
    await h.c.models.users.insertMany(
      ids.map((id, i) => ({
        _id: id,
        orgId: d.orgId,
        directoryId: d.directoryId,
        userName: `bulk-${i}`,
        userNameKey: `bulk-${i}`,
        active: true,
        version: 1,
        createdAt: now,
        lastModifiedAt: now,
      })),
    );
    const g = await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Big' });
    const res = await c.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }],
    });
    expect(res.status).toBe(200);
    const got = await c.get(`/Groups/${g.body.id}`);
    expect(got.body.members).toHaveLength(1000);
    const removeHalf = await c.patch(`/Groups/${g.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'remove', path: 'members', value: ids.slice(0, 500).map((value) => ({ value })) }],
    });
    expect(removeHalf.status).toBe(200);
    const after = await c.get(`/Groups/${g.body.id}`);
    expect(after.body.members).toHaveLength(500);
  });

  it('deletes a group', async () => {
    const g = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Doomed' });
    expect((await scim.delete(`/Groups/${g.body.id}`)).status).toBe(204);
    expect((await scim.get(`/Groups/${g.body.id}`)).status).toBe(404);
  });
});
