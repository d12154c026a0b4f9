import request from 'supertest';
import { GROUP_URN, PATCH_URN, newUser, startHarness, type Harness, type Peer } from '../support/harness';

/**
 * Two instances of the service share MongoDB and Redis. Instance B answers checks from its cache;
 * every write made through instance A must be seen by B's very next check.
 */
describe('access-check cache across instances', () => {
  let h: Harness;
  let b: Peer;
  beforeAll(async () => {
    h = await startHarness();
    b = await h.peer();
  });
  afterAll(async () => h.close());

  async function setup() {
    const dir = await h.directory('okta');
    const { api, secret } = await h.adminKey(dir.orgId);
    const project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Research' })).body.id as string;
    const scim = h.as(dir);
    const user = (await scim.post('/Users', newUser(`cache-${Date.now()}@example.com`))).body.id as string;
    await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Engineers', members: [{ value: user }] });
    await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', displayName: 'Engineers' }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
    return { dir, api, secret, project, scim, user, onB: b.admin(secret) };
  }

  const checkOn = (client: ReturnType<Peer['admin']>, subject: object, projectId: string, permission = 'api.model.read') =>
    client.post('/access/check', { subject, permission, projectId }).then((r) => {
      expect(r.status).toBe(200);
      return r.body as { allowed: boolean; reason: string };
    });

  it('denies a deactivated user on the other instance at once, though it had just allowed it from cache', async () => {
    const { scim, user, project, onB } = await setup();
    const hitsBefore = b.c.fresh.counts().hit;
    for (let i = 0; i < 3; i++) expect((await checkOn(onB, { userId: user }, project)).allowed).toBe(true);
    expect(b.c.fresh.counts().hit - hitsBefore).toBeGreaterThanOrEqual(2);
    const metrics = await request(b.app).get('/metrics');
    expect(metrics.text).toMatch(/scim_sync_access_cache_reads_total\{result="hit"\} [1-9]/);
    const res = await scim.patch(`/Users/${user}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(res.status).toBe(200);
    expect(await checkOn(onB, { userId: user }, project)).toMatchObject({ allowed: false });
  });

  it('keeps denying a deactivated user even when a stale recompute writes an active document after it', async () => {
    const { api, scim, user, project, onB } = await setup();
    expect((await checkOn(onB, { userId: user }, project)).allowed).toBe(true);
    await scim.patch(`/Users/${user}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
    // What a worker that read the user a moment before the deactivation would store, and announce.
    await h.c.mongo.db!.collection('access_documents').updateOne({ _id: `user-${user}` } as never, { $set: { isActive: true } });
    await h.c.fresh.invalidate('access', [`user-${user}`]);
    expect(await checkOn(onB, { userId: user }, project)).toMatchObject({ allowed: false });
    expect(await checkOn(api, { userId: user }, project)).toMatchObject({ allowed: false });
  });

  it('denies a revoked API key on the other instance at once', async () => {
    const { dir, api, user, project, onB } = await setup();
    const key = (await api.post(`/orgs/${dir.orgId}/api-keys`, { projectId: project, name: 'ci', owner: { type: 'user', id: user }, permissions: 'all' })).body;
    expect((await checkOn(onB, { apiKey: key.secret }, project)).allowed).toBe(true);
    expect((await checkOn(onB, { apiKey: key.secret }, project)).allowed).toBe(true);
    expect((await api.post(`/orgs/${dir.orgId}/api-keys/${key.id}/revoke`)).status).toBe(200);
    expect((await checkOn(onB, { apiKey: key.secret }, project)).allowed).toBe(false);
    expect((await checkOn(onB, { apiKeyId: key.id }, project)).allowed).toBe(false);
  });

  it('sees a role change made on the other instance at once', async () => {
    const { dir, api, user, project, onB } = await setup();
    expect((await checkOn(onB, { userId: user }, project, 'api.file.write')).allowed).toBe(true);
    const binding = (await api.get(`/orgs/${dir.orgId}/bindings`)).body.bindings?.[0] ?? (await api.get(`/orgs/${dir.orgId}/bindings`)).body.items?.[0];
    const del = await api.delete(`/orgs/${dir.orgId}/bindings/${binding.id}`);
    expect(del.status).toBeLessThan(300);
    expect((await checkOn(onB, { userId: user }, project, 'api.file.write')).allowed).toBe(false);
  });

  it('stops organization-level grants in an archived project at once on the other instance', async () => {
    const { dir, api, user, project, onB } = await setup();
    await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'user', id: user }, scope: { type: 'organization' }, roleId: 'preset:org-owner' });
    expect((await checkOn(onB, { userId: user }, project, 'api.batch.write')).allowed).toBe(true);
    expect((await api.patch(`/orgs/${dir.orgId}/projects/${project}`, { archived: true })).status).toBe(200);
    expect((await checkOn(onB, { userId: user }, project, 'api.batch.write')).allowed).toBe(false);
  });

  it('refuses a revoked admin key on the other instance at once', async () => {
    const { dir, secret, onB } = await setup();
    const listed = await onB.get(`/orgs/${dir.orgId}/projects`);
    expect(listed.status).toBe(200);
    const keyId = (await h.c.rbacModels.adminKeys.findOne({ orgId: dir.orgId }).lean<{ _id: string }>())!._id;
    await h.c.rbac.revokeAdminKey(dir.orgId, keyId);
    expect((await onB.get(`/orgs/${dir.orgId}/projects`)).status).toBe(401);
    void secret;
  });

  it('refuses a revoked SCIM token on the other instance at once', async () => {
    const { dir, api } = await setup();
    const onB = b.as(dir);
    expect((await onB.get('/Users?count=1')).status).toBe(200);
    expect((await onB.get('/Users?count=1')).status).toBe(200);
    const tokens = (await api.get(`/orgs/${dir.orgId}/directories/${dir.directoryId}/tokens`)).body;
    const tokenId = tokens.tokens[0].id;
    expect((await api.delete(`/orgs/${dir.orgId}/directories/${dir.directoryId}/tokens/${tokenId}`)).status).toBeLessThan(300);
    expect((await onB.get('/Users?count=1')).status).toBe(401);
  });

  it('never undoes a revocation that races the key\'s own use', async () => {
    // Each check records the key's last use; on FerretDB an update rewrites the whole document it
    // read, so that write used to put revokedAt back to null now and then (1 to 5 keys in 160).
    const { dir, api, user, project, onB } = await setup();
    const stale: string[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = 0; i < 25; i++) {
          const key = (await api.post(`/orgs/${dir.orgId}/api-keys`, { projectId: project, name: `race-${lane}-${i}`, owner: { type: 'user', id: user }, permissions: 'all' })).body;
          const using = checkOn(onB, { apiKey: key.secret }, project);
          await api.post(`/orgs/${dir.orgId}/api-keys/${key.id}/revoke`);
          await using;
          if ((await checkOn(onB, { apiKey: key.secret }, project)).allowed) stale.push(key.id);
        }
      }),
    );
    expect(stale).toEqual([]);
    expect(await h.c.rbacModels.apiKeys.countDocuments({ orgId: dir.orgId, revokedAt: null })).toBe(0);
  });

  it('keeps answering correctly, from MongoDB, when the cache cannot reach Redis', async () => {
    const { scim, user, project, secret } = await setup();
    const blind = await h.peer({ REDIS_URL: 'redis://127.0.0.1:6399' });
    const onBlind = blind.admin(secret);
    expect((await checkOn(onBlind, { userId: user }, project)).allowed).toBe(true);
    await scim.patch(`/Users/${user}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
    expect((await checkOn(onBlind, { userId: user }, project)).allowed).toBe(false);
  });
});
