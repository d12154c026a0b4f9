import { GROUP_URN, PATCH_URN, newUser, startHarness, type AdminClient, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { waitUntil } from '../support/seed';

jest.setTimeout(240_000);

const deactivate = (c: ScimClient, id: string) => c.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });

interface Org {
  dir: TestDirectory;
  api: AdminClient;
  project: string;
  c: ScimClient;
  /** User ids, all in group Engineers (bound to project-member), each owning one API key. */
  users: string[];
  keys: Array<{ id: string; secret: string }>;
  groupId: string;
}

/** An org whose directory has `n` users, all granted api.model.read in the project through a group, each with a key. */
async function orgWithUsers(h: Harness, n: number, guard?: Record<string, unknown>): Promise<Org> {
  const dir = await h.directory('okta');
  const { api } = await h.adminKey(dir.orgId);
  const project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Research' })).body.id as string;
  const c = h.as(dir);
  if (guard) expect((await api.patch(`/orgs/${dir.orgId}/directories/${dir.directoryId}/deprovision-guard`, guard)).status).toBe(200);
  const users: string[] = [];
  for (let i = 0; i < n; i++) users.push((await c.post('/Users', newUser(`u${i}-${dir.directoryId}@example.com`))).body.id);
  const groupId = (await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Engineers', members: users.map((value) => ({ value })) })).body.id;
  const b = await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', displayName: 'Engineers' }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
  await api.get(`/changes/${b.headers['x-change-id']}?wait=20000`);
  const keys: Array<{ id: string; secret: string }> = [];
  for (const u of users) {
    const k = (await api.post(`/orgs/${dir.orgId}/api-keys`, { projectId: project, name: `k-${u}`, owner: { type: 'user', id: u }, permissions: 'all' })).body;
    keys.push({ id: k.id, secret: k.secret });
  }
  return { dir, api, project, c, users, keys, groupId };
}

const allowed = async (o: Org, userId: string) =>
  (await o.api.post('/access/check', { subject: { userId }, permission: 'api.model.read', projectId: o.project })).body.allowed as boolean;
const keyRevoked = async (o: Org, i: number) => (await o.api.get(`/orgs/${o.dir.orgId}/api-keys/${o.keys[i].id}`)).body.revoked as boolean;
const staged = async (o: Org) => (await o.api.get(`/orgs/${o.dir.orgId}/directories/${o.dir.directoryId}/staged`)).body;
const path = (o: Org, p = '') => `/orgs/${o.dir.orgId}/directories/${o.dir.directoryId}${p}`;
const statusOf = async (h: Harness, id: string) => (await h.c.changeDocs.findOne({ _id: id }).lean())?.status;

describe('mass-deprovisioning safety valve', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ SWEEP_GRACE_MS: '300' });
    await h.startWorkers({ sweepIntervalMs: 200 });
  });
  afterAll(async () => h.close());

  it('keeps a single offboarding instant under the default threshold', async () => {
    const o = await orgWithUsers(h, 3);
    expect((await o.api.get(path(o, '/deprovision-guard'))).body).toEqual({ enabled: true, percent: 30, count: 500, windowMinutes: 10 });
    const r = await deactivate(o.c, o.users[0]);
    expect(r.status).toBe(200);
    expect(await allowed(o, o.users[0])).toBe(false);
    await o.api.get(`/changes/${r.headers['x-change-id']}?wait=20000`);
    expect(await keyRevoked(o, 0)).toBe(true);
    expect((await staged(o)).total).toBe(0);
  });

  it('applies the first deprovisions of a burst and holds the rest, which keep their access and keys until approved', async () => {
    const o = await orgWithUsers(h, 6, { count: 2 });
    const answers = [];
    for (const u of o.users.slice(0, 4)) answers.push((await deactivate(o.c, u)).status);
    answers.push((await o.c.delete(`/Users/${o.users[4]}`)).status);
    // The IdP sees exactly what it would without the guard.
    expect(answers).toEqual([200, 200, 200, 200, 204]);
    expect((await o.c.get(`/Users/${o.users[3]}`)).body.active).toBe(false);
    expect((await o.c.get(`/Users/${o.users[4]}`)).status).toBe(404);

    const list = await staged(o);
    expect(list.total).toBe(3);
    expect((await o.api.get(`/orgs/${o.dir.orgId}/staged`)).body).toEqual({ directories: [{ directoryId: o.dir.directoryId, total: 3 }] });
    expect(list.users.map((u: { userId: string; kind: string }) => [u.userId, u.kind])).toEqual([
      [o.users[2], 'user.deactivated'],
      [o.users[3], 'user.deactivated'],
      [o.users[4], 'user.deleted'],
    ]);
    for (const u of o.users.slice(0, 2)) expect(await allowed(o, u)).toBe(false);
    for (const u of o.users.slice(2, 5)) expect(await allowed(o, u)).toBe(true);
    const keyOk = await o.api.post('/access/check', { subject: { apiKey: o.keys[4].secret }, permission: 'api.model.read', projectId: o.project });
    expect(keyOk.body.allowed).toBe(true);

    // The sweeper, however late, never applies a staged change; nor does a recompute of the whole org.
    await h.c.pipeline.sweeper.sweepOnce(Date.now() + 3_600_000);
    for (const u of list.users) for (const id of u.changeIds) expect(await statusOf(h, id)).toBe('staged');
    await h.c.accessRecompute.recomputeUsers(o.dir.orgId, o.users, 'test-recompute');
    for (const u of o.users.slice(2, 5)) expect(await allowed(o, u)).toBe(true);
    await waitUntil('the applied deprovisions revoke their keys', async () => (await keyRevoked(o, 0)) && (await keyRevoked(o, 1)), 20_000);
    for (const i of [2, 3, 4]) expect(await keyRevoked(o, i)).toBe(false);

    const audit = await o.api.get(`/orgs/${o.dir.orgId}/audit?action=directory.deprovision_staged`);
    expect(audit.body.events.map((e: { target: { id: string } }) => e.target.id).sort()).toEqual(o.users.slice(2, 5).sort());
    await waitUntil('the held event is in the log', async () => (await o.api.get(`/orgs/${o.dir.orgId}/events?types=directory.deprovisioning_held`)).body.events.length === 1, 20_000);
    const ev = (await o.api.get(`/orgs/${o.dir.orgId}/events?types=directory.deprovisioning_held`)).body.events[0];
    expect(ev).toMatchObject({ subject: { type: 'directory', id: o.dir.directoryId }, data: { firstHeldUserId: o.users[2], deprovisionsInWindow: 3, allowed: 2 } });
    const metrics = await h.c.metrics.registry.getSingleMetricAsString('scim_sync_deprovision_staged_users');
    expect(metrics).toMatch(/scim_sync_deprovision_staged_users \d+/);

    // Approving one applies it at once: denied, then its key revoked and access.revoked sent.
    const ok = await o.api.post(path(o, '/staged/approve'), { userIds: [o.users[2]] });
    expect(ok.body).toEqual({ approved: [o.users[2]], moot: [], notRestored: [] });
    expect(await allowed(o, o.users[2])).toBe(false);
    await waitUntil('the approved user loses its key', () => keyRevoked(o, 2), 20_000);
    await waitUntil('access.revoked for the approved user', async () => (await o.api.get(`/orgs/${o.dir.orgId}/events?types=access.revoked&subject=user:${o.users[2]}`)).body.events.length === 1, 20_000);

    // Discarding the rest restores them: active again (the deleted one recreated in its group), with their access.
    const no = await o.api.post(path(o, '/staged/discard'), {});
    expect(no.body).toEqual({ discarded: [o.users[3], o.users[4]], moot: [], notRestored: [] });
    expect((await o.c.get(`/Users/${o.users[3]}`)).body.active).toBe(true);
    expect((await o.c.get(`/Users/${o.users[4]}`)).body).toMatchObject({ id: o.users[4], active: true });
    expect((await o.c.get(`/Groups/${o.groupId}`)).body.members.map((m: { value: string }) => m.value)).toContain(o.users[4]);
    for (const u of [o.users[3], o.users[4]]) expect(await allowed(o, u)).toBe(true);
    for (const id of list.users.slice(1).flatMap((u: { changeIds: string[] }) => u.changeIds)) expect(await statusOf(h, id)).toBe('discarded');
    expect((await staged(o)).total).toBe(0);
    const discardedAudit = await o.api.get(`/orgs/${o.dir.orgId}/audit?action=directory.deprovision_discarded`);
    expect(discardedAudit.body.events).toHaveLength(1);
  });

  it('counts a concurrent burst exactly: the threshold passes, everything after it is held', async () => {
    const o = await orgWithUsers(h, 12, { count: 4 });
    const answers = await Promise.all(o.users.map((u) => deactivate(o.c, u).then((r) => r.status)));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect((await staged(o)).total).toBe(8);
    let denied = 0;
    for (const u of o.users) if (!(await allowed(o, u))) denied++;
    expect(denied).toBe(4);
  });

  it('applies every deprovision when the guard is turned off', async () => {
    const o = await orgWithUsers(h, 4, { enabled: false, count: 1 });
    for (const u of o.users) await deactivate(o.c, u);
    expect((await staged(o)).total).toBe(0);
    for (const u of o.users) expect(await allowed(o, u)).toBe(false);
  });

  it('lets the IdP undo a held deactivation by reactivating the user', async () => {
    const o = await orgWithUsers(h, 3, { count: 1 });
    await deactivate(o.c, o.users[0]);
    await deactivate(o.c, o.users[1]);
    expect((await staged(o)).total).toBe(1);
    await o.c.patch(`/Users/${o.users[1]}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: true } }] });
    expect((await staged(o)).total).toBe(0);
    expect(await allowed(o, o.users[1])).toBe(true);
  });

  it("keeps each organization's staged users to itself and refuses bad settings with a 400 problem", async () => {
    const o = await orgWithUsers(h, 3, { count: 1 });
    await deactivate(o.c, o.users[0]);
    await deactivate(o.c, o.users[1]);
    const other = await h.directory('okta');
    const { api: otherApi } = await h.adminKey(other.orgId);
    expect((await otherApi.get(path(o, '/staged'))).status).toBe(403);
    // Another org's own directory path naming these users approves nothing.
    const cross = await otherApi.post(`/orgs/${other.orgId}/directories/${other.directoryId}/staged/approve`, { userIds: [o.users[1]] });
    expect(cross.body).toEqual({ approved: [], moot: [], notRestored: [] });
    expect((await staged(o)).total).toBe(1);
    const { api: reader } = await h.adminKey(o.dir.orgId, 'preset:org-reader');
    // Staged users are organization administration: a reader key sees none of it.
    expect((await reader.get(path(o, '/staged'))).status).toBe(403);
    expect((await reader.post(path(o, '/staged/approve'), {})).status).toBe(403);
    const bad = await o.api.patch(path(o, '/deprovision-guard'), { percent: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await o.api.post(path(o, '/staged/discard'), { userIds: 'all' })).status).toBe(400);
  });
});
