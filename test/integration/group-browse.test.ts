import type request from 'supertest';
import { GROUP_URN, USER_URN, startHarness, type AdminClient, type Harness, type ScimClient, type TestDirectory } from '../support/harness';

// The console's group browsing: GET /orgs/:org/directories/:id/groups (paged, searched, member
// counts), one group, and its members a page at a time.

jest.setTimeout(120_000);

let h: Harness;
let dir: TestDirectory;
let scim: ScimClient;
let api: AdminClient;
const users: string[] = [];
let engineering: string;
let platform: string;

async function group(displayName: string, members: string[], externalId?: string): Promise<string> {
  const res = await scim.post('/Groups', { schemas: [GROUP_URN], displayName, members: members.map((value) => ({ value })), ...(externalId ? { externalId } : {}) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const base = () => `/orgs/${dir.orgId}/directories/${dir.directoryId}/groups`;
const problem = (res: request.Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

beforeAll(async () => {
  h = await startHarness();
  dir = await h.directory('entra');
  scim = h.as(dir);
  api = (await h.adminKey(dir.orgId)).api;
  for (let i = 1; i <= 5; i++) {
    const res = await scim.post('/Users', { schemas: [USER_URN], userName: `user${i}@example.com`, active: i !== 5 });
    expect(res.status).toBe(201);
    users.push(res.body.id);
  }
  platform = await group('Platform', [users[3], users[4]]);
  engineering = await group('Engineering', [users[0], users[1], users[2], platform], 'ext-eng');
  for (let i = 1; i <= 25; i++) await group(`Team ${String(i).padStart(2, '0')}`, []);
});
afterAll(() => h.close());

describe('the groups of a directory', () => {
  it('pages them on the server in creation order, with their direct member counts', async () => {
    const first = await api.get(`${base()}?count=10`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 27, startIndex: 1, count: 10 });
    expect(first.body.groups).toHaveLength(10);
    expect(first.body.groups[0]).toEqual({ id: platform, displayName: 'Platform', externalId: null, memberCount: 2, createdAt: expect.any(String), lastModifiedAt: expect.any(String) });
    expect(first.body.groups[1]).toMatchObject({ id: engineering, displayName: 'Engineering', externalId: 'ext-eng', memberCount: 4 });
    const last = await api.get(`${base()}?count=10&startIndex=21`);
    expect(last.body.groups.map((g: { displayName: string }) => g.displayName)).toEqual(['Team 19', 'Team 20', 'Team 21', 'Team 22', 'Team 23', 'Team 24', 'Team 25']);
  });

  it('searches part of the name without regard to case, or an exact external id', async () => {
    const byName = await api.get(`${base()}?search=${encodeURIComponent('TEAM 1')}`);
    expect(byName.body.total).toBe(10);
    expect((await api.get(`${base()}?search=ext-eng`)).body.groups.map((g: { id: string }) => g.id)).toEqual([engineering]);
    // A regular-expression character is matched as itself.
    expect((await api.get(`${base()}?search=${encodeURIComponent('.*')}`)).body.total).toBe(0);
  });

  it('reads one group and its members a page at a time: users with their state, and nested groups', async () => {
    const one = await api.get(`${base()}/${engineering}`);
    expect(one.body).toMatchObject({ id: engineering, displayName: 'Engineering', memberCount: 4, directoryId: dir.directoryId });
    const all = await api.get(`${base()}/${engineering}/members`);
    expect(all.body).toMatchObject({ total: 4, startIndex: 1 });
    expect([...all.body.members].sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1))).toEqual(
      [
        { type: 'user', id: users[0], display: 'user1@example.com', active: true },
        { type: 'user', id: users[1], display: 'user2@example.com', active: true },
        { type: 'user', id: users[2], display: 'user3@example.com', active: true },
        { type: 'group', id: platform, display: 'Platform', active: null },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const paged = [(await api.get(`${base()}/${engineering}/members?count=3`)).body, (await api.get(`${base()}/${engineering}/members?count=3&startIndex=4`)).body];
    expect(paged.map((p) => p.members.length)).toEqual([3, 1]);
    expect(new Set([...paged[0].members, ...paged[1].members].map((m: { id: string }) => m.id)).size).toBe(4);
    const nested = await api.get(`${base()}/${platform}/members`);
    expect(nested.body.members.find((m: { id: string }) => m.id === users[4])).toEqual({ type: 'user', id: users[4], display: 'user5@example.com', active: false });
  });
});

describe('refusals', () => {
  it('answers 400 for a bad page or an unknown parameter', async () => {
    problem(await api.get(`${base()}?count=0`), 400);
    problem(await api.get(`${base()}?count=201`), 400);
    problem(await api.get(`${base()}?startIndex=abc`), 400);
    problem(await api.get(`${base()}?filter=x`), 400);
    problem(await api.get(`${base()}/${engineering}/members?search=x`), 400);
  });

  it('answers 404 for a group that is not in this directory', async () => {
    problem(await api.get(`${base()}/nope`), 404);
    problem(await api.get(`${base()}/nope/members`), 404);
    const other = await h.c.tenancy.createDirectory({ orgId: dir.orgId, name: 'second', provider: 'generic' });
    problem(await api.get(`/orgs/${dir.orgId}/directories/${other.directory._id}/groups/${engineering}`), 404);
    expect((await api.get(`/orgs/${dir.orgId}/directories/${other.directory._id}/groups`)).body.total).toBe(0);
  });

  it("keeps organizations apart: another organization's key sees none of these groups", async () => {
    const stranger = await h.directory('okta');
    const otherApi = (await h.adminKey(stranger.orgId)).api;
    problem(await otherApi.get(base()), 403);
    problem(await otherApi.get(`/orgs/${stranger.orgId}/directories/${dir.directoryId}/groups`), 404);
    problem(await otherApi.get(`/orgs/${stranger.orgId}/directories/${dir.directoryId}/groups/${engineering}/members`), 404);
  });

  it('is refused to a key without organization read', async () => {
    const reader = (await h.adminKey(dir.orgId, 'preset:org-reader')).api;
    problem(await reader.get(base()), 403);
  });
});
