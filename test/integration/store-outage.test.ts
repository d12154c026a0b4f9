import request from 'supertest';
import {
  ERROR_URN,
  GROUP_URN,
  newUser,
  PATCH_URN,
  startHarness,
  type AdminClient,
  type Harness,
  type ScimClient,
  type TestDirectory,
} from '../support/harness';
import { seedUsers, waitUntil } from '../support/seed';
import { hostPortOf, startTcpProxy, throughProxy, type TcpProxy } from '../support/tcp-proxy';

// What IdPs and admins are told when a backing store fails: 503 with Retry-After on both edges, in
// words that never promise "nothing was changed" unless that is known. The outage is real (sockets
// reset by a proxy between this file's service and the server) and only this file's connections see it.

const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/scim_sync';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Requests give up on an unreachable server within a second; directConnection keeps a replica set's members behind the proxy. */
const FAIL_FAST = { serverSelectionTimeoutMS: '1000', directConnection: 'true' };
const MEMBERS = 2000;

const SCIM_TYPE = /^application\/scim\+json/;
const PROBLEM_TYPE = /^application\/problem\+json/;
const RETRY_IS_SAFE = /Retrying the same request is safe/;
const NOTHING_CHANGED = /nothing was changed/;

const scim503 = { schemas: [ERROR_URN], status: '503', detail: expect.stringMatching(/directory database/) };
const problem503 = (instance: string, detail: RegExp) => ({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: expect.stringMatching(detail), instance });

function expectOutage(res: request.Response, type: RegExp) {
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.headers['content-type']).toMatch(type);
}

const rand = () => Math.random().toString(36).slice(2, 8);
const addMembers = (ids: string[]) => ({ schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] });

describe('when MongoDB fails', () => {
  let proxy: TcpProxy;
  let h: Harness;
  let dir: TestDirectory;
  let scim: ScimClient;
  let api: AdminClient;
  let adminSecret: string;
  let slug: string;
  let userId: string;
  let smallGroupId: string;
  let members: string[];

  /** The service answers again once the driver has seen the server (it re-checks at the next operation). */
  const untilAnswering = () => waitUntil('MongoDB through the proxy', () => h.c.mongo.db!.admin().ping().then(() => true, () => false), 10_000, 50);

  beforeAll(async () => {
    proxy = await startTcpProxy(hostPortOf(MONGO_URL));
    h = await startHarness({ MONGO_URL: throughProxy(MONGO_URL, proxy, FAIL_FAST), SCIM_MAX_PAYLOAD_BYTES: String(1024 * 1024) });
    slug = `outage-${rand()}`;
    dir = await h.directory('okta', slug);
    scim = h.as(dir);
    ({ api, secret: adminSecret } = await h.adminKey(dir.orgId));
    const user = await scim.post('/Users', newUser(`present-${rand()}@example.com`));
    expect(user.status).toBe(201);
    userId = user.body.id;
    const group = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Small' });
    expect(group.status).toBe(201);
    smallGroupId = group.body.id;
    // Seeded straight into the collections, and into the principal registry as SCIM creates do, so the
    // calibration PATCH below sends the same commands as the one that is cut.
    members = (await seedUsers(h, dir, MEMBERS)).userIds;
    await h.c.registry.remember(dir.directoryId, members.map((id) => [id, 'User'] as const));
    // Both credentials have been used once, as an active IdP's and admin's have.
    expect((await scim.get('/Users?count=1')).status).toBe(200);
    expect((await api.get(`/orgs/${slug}/projects`)).status).toBe(200);
  });

  afterAll(async () => {
    proxy?.restore();
    await h?.close();
    await proxy?.close();
  });

  describe('while the database cannot be reached', () => {
    let coldDir: TestDirectory;
    let coldApi: AdminClient;

    beforeAll(async () => {
      coldDir = await h.directory('entra');
      coldApi = (await h.adminKey(dir.orgId)).api;
      proxy.cut();
    });
    afterAll(async () => {
      proxy.restore();
      await untilAnswering();
    });

    it('answers an admin read of an organization named by slug with 503, not 403, and says nothing was changed', async () => {
      const res = await api.get(`/orgs/${slug}/projects`);
      expectOutage(res, PROBLEM_TYPE);
      expect(res.body).toEqual(problem503(`/api/v1/orgs/${slug}/projects`, NOTHING_CHANGED));
    });

    it('answers an admin write with 503 that says retrying is safe, never that nothing was changed', async () => {
      const res = await api.post(`/orgs/${slug}/bindings`, { principal: { type: 'user', id: userId }, scope: { type: 'organization' }, roleId: 'preset:org-reader' });
      expectOutage(res, PROBLEM_TYPE);
      expect(res.body).toEqual(problem503(`/api/v1/orgs/${slug}/bindings`, RETRY_IS_SAFE));
      expect(res.body.detail).not.toMatch(NOTHING_CHANGED);
    });

    it('answers an admin key it has not seen yet with 503, not 401', async () => {
      const res = await coldApi.get(`/orgs/${slug}/projects`);
      expectOutage(res, PROBLEM_TYPE);
      expect(res.body).toEqual(problem503(`/api/v1/orgs/${slug}/projects`, NOTHING_CHANGED));
    });

    it('answers SCIM list, create and group PATCH with a SCIM 503 error and Retry-After', async () => {
      for (const res of [
        await scim.get('/Users'),
        await scim.post('/Users', newUser('during-outage@example.com')),
        await scim.patch(`/Groups/${smallGroupId}`, addMembers([userId])),
      ]) {
        expectOutage(res, SCIM_TYPE);
        expect(res.body).toEqual(scim503);
        expect(res.body.detail).toMatch(RETRY_IS_SAFE);
        expect(res.body.detail).not.toMatch(NOTHING_CHANGED);
      }
    });

    it('answers a directory token it has not verified yet with 503, not 401', async () => {
      const res = await h.as(coldDir).get('/Users');
      expectOutage(res, SCIM_TYPE);
      expect(res.body).toEqual(scim503);
    });
  });

  it('answers 503 when the connection drops during a 2,000-member PATCH, and a retry stores every member exactly once', async () => {
    const [calibration, target] = await Promise.all(
      ['Calibration', 'Target'].map(async (displayName) => (await scim.post('/Groups', { schemas: [GROUP_URN], displayName })).body.id as string),
    );
    // The same PATCH once without a cut, to learn how many bytes it sends the server.
    const before = proxy.bytesUp;
    expect((await scim.patch(`/Groups/${calibration}`, addMembers(members))).status).toBe(200);
    const bytes = proxy.bytesUp - before;

    // Cut 70% of the way: after the first 1,000 memberships were sent, while the second 1,000 are on their way.
    let wasCut = false;
    void proxy.cutAfterBytesUp(Math.round(bytes * 0.7)).then(() => (wasCut = true));
    const interrupted = await scim.patch(`/Groups/${target}`, addMembers(members));
    proxy.restore();
    if (wasCut) {
      expectOutage(interrupted, SCIM_TYPE);
      expect(interrupted.body).toEqual(scim503);
      expect(interrupted.body.detail).toMatch(RETRY_IS_SAFE);
      expect(interrupted.body.detail).not.toMatch(NOTHING_CHANGED);
    } else {
      expect(interrupted.status).toBe(200);
    }
    await untilAnswering();

    const retried = await scim.patch(`/Groups/${target}`, addMembers(members));
    expect(retried.status).toBe(200);
    const membersOf = async (groupId: string) => {
      const res = await scim.get(`/Groups/${groupId}?attributes=members`);
      expect(res.status).toBe(200);
      return (res.body.members as Array<{ value: string }>).map((m) => m.value).sort();
    };
    const stored = await membersOf(target);
    expect(stored).toHaveLength(MEMBERS);
    expect(new Set(stored).size).toBe(MEMBERS);
    expect(stored).toEqual(await membersOf(calibration));
    expect(await h.c.models.memberships.countDocuments({ groupId: target })).toBe(MEMBERS);
    // Not asserted: the group's stored memberCount. A retry after a partial write undercounts it, because
    // group.service adds what each attempt inserted (1,000 here), not what the group holds.
  });

  it('answers normally once the database is back, and a create refused during the outage is stored once', async () => {
    expect((await api.get(`/orgs/${slug}/projects`)).status).toBe(200);
    const bound = await api.post(`/orgs/${slug}/bindings`, { principal: { type: 'user', id: userId }, scope: { type: 'organization' }, roleId: 'preset:org-reader' });
    expect(bound.status).toBe(201);
    expect((await scim.get('/Users?count=1')).status).toBe(200);
    // The cut came before the request, so nothing of it reached the server: the same create succeeds now.
    expect((await scim.post('/Users', newUser('during-outage@example.com'))).status).toBe(201);
    const found = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "during-outage@example.com"')}`);
    expect(found.body.totalResults).toBe(1);
    const patched = await scim.patch(`/Groups/${smallGroupId}`, addMembers([userId]));
    expect(patched.status).toBe(200);
  });

  describe('errors that already carry a 4xx keep it', () => {
    it('answers SCIM requests with malformed JSON, an oversized body, or an unsupported charset or encoding with their 4xx', async () => {
      const cases: Array<[request.Test, number, string | undefined]> = [
        [scim.raw('post', '/Users', '{"userName": '), 400, 'invalidSyntax'],
        [scim.raw('post', '/Users', JSON.stringify(newUser('big', { nickName: 'x'.repeat(1024 * 1024) }))), 413, undefined],
        [scim.raw('post', '/Users', JSON.stringify(newUser('latin')), 'application/scim+json; charset=iso-8859-1'), 415, undefined],
        [scim.raw('post', '/Users', JSON.stringify(newUser('packed'))).set('Content-Encoding', 'compress'), 415, undefined],
        [scim.get('/Users/%E0%A4%A'), 400, 'invalidSyntax'],
      ];
      for (const [sent, status, scimType] of cases) {
        const res = await sent;
        expect(res.status).toBe(status);
        expect(res.body).toEqual({ schemas: [ERROR_URN], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) });
      }
    });

    it('answers admin requests with malformed JSON, an oversized body, an unsupported charset or an undecodable path with their 4xx', async () => {
      const post = (body: string, type = 'application/json') =>
        request(h.app).post(`/api/v1/orgs/${slug}/projects`).set('Authorization', `Bearer ${adminSecret}`).set('Content-Type', type).send(body);
      const cases: Array<[request.Test, number, string]> = [
        [post('{"name": '), 400, `/api/v1/orgs/${slug}/projects`],
        [post(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) })), 413, `/api/v1/orgs/${slug}/projects`],
        [post(JSON.stringify({ name: 'latin' }), 'application/json; charset=iso-8859-1'), 415, `/api/v1/orgs/${slug}/projects`],
        [api.get('/orgs/%E0%A4%A/projects'), 400, '/api/v1/orgs/%E0%A4%A/projects'],
      ];
      for (const [sent, status, instance] of cases) {
        const res = await sent;
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
        expect(res.body).toEqual({ type: 'about:blank', title: expect.any(String), status, detail: expect.any(String), instance });
      }
    });
  });
});

describe('when Redis fails', () => {
  let proxy: TcpProxy;
  let h: Harness;

  beforeAll(async () => {
    proxy = await startTcpProxy(hostPortOf(REDIS_URL));
    h = await startHarness({ REDIS_URL: throughProxy(REDIS_URL, proxy) });
  });
  afterAll(async () => {
    proxy?.restore();
    await h?.close();
    await proxy?.close();
  });

  it('answers a change retry, which needs the queue, with 503 and Retry-After; SCIM reads go on without Redis', async () => {
    const dir = await h.directory('okta');
    const scim = h.as(dir);
    const { api } = await h.adminKey(dir.orgId);
    const user = await scim.post('/Users', newUser(`queued-${rand()}@example.com`));
    const group = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Queued', members: [{ value: user.body.id }] });
    const changeId = group.headers['x-change-id'];
    expect(changeId).toEqual(expect.any(String));

    proxy.cut();
    try {
      const res = await api.post(`/changes/${changeId}/retry`);
      expectOutage(res, PROBLEM_TYPE);
      expect(res.body).toEqual(problem503(`/api/v1/changes/${changeId}/retry`, /change queue \(Redis\)/));
      expect(res.body.detail).not.toMatch(NOTHING_CHANGED);
      expect((await scim.get('/Users')).status).toBe(200);
    } finally {
      proxy.restore();
    }
    await waitUntil('the queue through the proxy', () => h.c.pipeline.queue.depth().then(() => true, () => false), 10_000, 50);
    expect((await api.post(`/changes/${changeId}/retry`)).status).toBe(200);
  });
});
