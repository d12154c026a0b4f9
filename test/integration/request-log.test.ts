import request from 'supertest';
import { newUser, PATCH_URN, startHarness, type AdminClient, type Harness, type TestDirectory } from '../support/harness';

// The SCIM request log: what an admin reads after real SCIM requests, through the admin API.

let h: Harness;
let dir: TestDirectory;
let admin: AdminClient;

const OKTA_UA = 'Okta SCIM Client 1.0.0';
const base = () => `/orgs/${dir.orgId}/directories/${dir.directoryId}/requests`;

beforeAll(async () => {
  h = await startHarness({ SCIM_REQUEST_LOG_DAYS: '7', SCIM_REQUEST_LOG_FLUSH_MS: '50' });
  dir = await h.directory('okta');
  admin = (await h.adminKey(dir.orgId)).api;
});
afterAll(() => h.close());

const scimAs = (token: string, requestId?: string) => {
  const set = (r: request.Test) => {
    r.set('Authorization', `Bearer ${token}`).set('User-Agent', OKTA_UA);
    return requestId ? r.set('X-Request-Id', requestId) : r;
  };
  return {
    post: (path: string, body: unknown) => set(request(h.app).post(`/scim/v2${path}`)).set('Content-Type', 'application/scim+json').send(body as object),
    patch: (path: string, body: unknown) => set(request(h.app).patch(`/scim/v2${path}`)).set('Content-Type', 'application/scim+json').send(body as object),
    get: (path: string) => set(request(h.app).get(`/scim/v2${path}`)),
  };
};

async function flushed() {
  await h.c.requestLog!.flush();
}

describe('SCIM request log', () => {
  it('records a created user with method, path, status, latency, user agent and request id, and masks the password', async () => {
    const res = await scimAs(dir.token, 'req-create-1').post('/Users', newUser('ann@example.com', { password: 'Hunter2-Secret!' }));
    expect(res.status).toBe(201);
    await flushed();

    const list = await admin.get(base());
    expect(list.status).toBe(200);
    expect(list.body.requests[0]).toEqual({
      requestId: 'req-create-1',
      seq: 1,
      at: expect.any(String),
      method: 'POST',
      path: '/Users',
      resource: 'Users',
      status: 201,
      statusClass: '2xx',
      latencyMs: expect.any(Number),
      userAgent: OKTA_UA,
      reason: null,
    });
    expect(list.body.requests[0].latencyMs).toBeGreaterThan(0);

    const one = await admin.get(`${base()}/req-create-1`);
    expect(one.status).toBe(200);
    expect(one.body.failure).toBeNull();
    const sent = JSON.parse(one.body.request.body);
    expect(sent.password).toBe('********');
    expect(sent.userName).toBe('ann@example.com');
    expect(JSON.stringify(one.body)).not.toContain('Hunter2-Secret!');
    expect(JSON.parse(one.body.response.body)).toMatchObject({ id: res.body.id, userName: 'ann@example.com' });
    expect(one.body.request.isTruncated).toBe(false);
    // The Authorization header, and so the directory token, is never stored.
    const stored = await h.c.requestLogModels.entries.find({ directoryId: dir.directoryId }).lean();
    expect(JSON.stringify(stored)).not.toContain(dir.token);
  });

  it('masks every field named like a token or secret, at any depth', async () => {
    await scimAs(dir.token, 'req-secret-1').post('/Users', newUser('ben@example.com', {
      'urn:example:ext': { apiToken: 'tok-123456', nested: { clientSecret: 'sss-999' } },
    }));
    await flushed();
    const one = await admin.get(`${base()}/req-secret-1`);
    expect(one.body.request.body).not.toContain('tok-123456');
    expect(one.body.request.body).not.toContain('sss-999');
    expect(JSON.parse(one.body.request.body)['urn:example:ext']).toEqual({ apiToken: '********', nested: { clientSecret: '********' } });
  });

  it('says in words why a conflicting create failed, with the SCIM detail and scimType', async () => {
    const dup = await scimAs(dir.token, 'req-dup-1').post('/Users', newUser('ann@example.com'));
    expect(dup.status).toBe(409);
    await flushed();
    const one = await admin.get(`${base()}/req-dup-1`);
    expect(one.body).toMatchObject({ status: 409, statusClass: '4xx', method: 'POST', path: '/Users' });
    expect(one.body.failure).toEqual({
      detail: dup.body.detail,
      scimType: 'uniqueness',
      reason: 'A user or group with the same unique value (userName, externalId or displayName) already exists in this directory.',
    });
    const list = await admin.get(`${base()}?status=4xx`);
    expect(list.body.requests.map((r: { requestId: string }) => r.requestId)).toEqual(['req-dup-1']);
    expect(list.body.requests[0].reason).toBe(one.body.failure.reason);
  });

  it('marks a body over 16 KB as truncated and keeps its length', async () => {
    const big = 'x'.repeat(20_000);
    await scimAs(dir.token, 'req-big-1').post('/Users', newUser('cat@example.com', { nickName: big }));
    await flushed();
    const one = await admin.get(`${base()}/req-big-1`);
    expect(one.body.request.isTruncated).toBe(true);
    expect(one.body.request.body.length).toBe(16 * 1024);
    expect(one.body.request.chars).toBeGreaterThan(20_000);
  });

  it('filters by status code and resource, and pages newest first with a cursor', async () => {
    const scim = scimAs(dir.token);
    const created = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering' });
    expect(created.status).toBe(201);
    for (let i = 0; i < 5; i++) {
      await scimAs(dir.token, `req-page-${i}`).patch(`/Groups/${created.body.id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: `Engineering ${i}` }] });
    }
    await scimAs(dir.token, 'req-missing-1').get('/Users/does-not-exist');
    await flushed();

    const groups = await admin.get(`${base()}?resource=Groups&limit=2`);
    expect(groups.body.requests.map((r: { requestId: string }) => r.requestId)).toEqual(['req-page-4', 'req-page-3']);
    const next = await admin.get(`${base()}?resource=Groups&limit=2&before=${groups.body.nextCursor}`);
    expect(next.body.requests.map((r: { requestId: string }) => r.requestId)).toEqual(['req-page-2', 'req-page-1']);
    const last = await admin.get(`${base()}?resource=Groups&limit=2&before=${next.body.nextCursor}`);
    expect(last.body.requests.map((r: { method: string; status: number }) => [r.method, r.status])).toEqual([['PATCH', 200], ['POST', 201]]);
    expect(last.body.nextCursor).toBeNull();

    const notFound = await admin.get(`${base()}?status=404`);
    expect(notFound.body.requests.map((r: { requestId: string; reason: string }) => [r.requestId, r.reason])).toEqual([
      ['req-missing-1', 'The user or group does not exist in this directory (deleted, or created in another directory).'],
    ]);
    const all = await admin.get(base());
    expect(all.body.requests.map((r: { seq: number }) => r.seq)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(all.body.nextCursor).toBeNull();
  });

  it('pages a long log across its blocks, newest first, without gaps or repeats', async () => {
    const long = await h.directory('okta', undefined);
    const longAdmin = (await h.adminKey(long.orgId)).api;
    const entry = (seq: number) => ({
      _id: `${long.directoryId}.${seq}`, orgId: long.orgId, directoryId: long.directoryId, seq, block: Math.floor(seq / 100), day: Math.floor(Date.now() / 86_400_000),
      at: new Date(Date.now() - (300 - seq) * 1000), method: 'GET', path: `/Users?startIndex=${seq}`, resource: 'Users',
      status: seq % 10 === 0 ? 500 : 200, statusClass: seq % 10 === 0 ? ('5xx' as const) : ('2xx' as const), latencyMs: 3, userAgent: OKTA_UA, requestId: `long-${seq}`,
      request: { text: null, chars: 0, isTruncated: false }, response: { text: null, chars: 0, isTruncated: false }, failure: null,
    });
    await h.c.requestLogModels.entries.insertMany(Array.from({ length: 250 }, (_, i) => entry(i + 1)));
    await h.c.requestLogModels.summaries.create({ _id: long.directoryId, orgId: long.orgId, seq: 250, firstAt: new Date(), lastAt: new Date(), lastStatus: 200, lastMethod: 'GET', lastPath: '/Users', minutes: {} });
    const url = `/orgs/${long.orgId}/directories/${long.directoryId}/requests`;

    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page = await longAdmin.get(`${url}?limit=60${cursor ? `&before=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.requests.map((r: { seq: number }) => r.seq));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => 250 - i));

    const failures = await longAdmin.get(`${url}?status=5xx&limit=10`);
    expect(failures.body.requests.map((r: { seq: number }) => r.seq)).toEqual([250, 240, 230, 220, 210, 200, 190, 180, 170, 160]);
    const rest = await longAdmin.get(`${url}?status=500&limit=100&before=${failures.body.nextCursor}`);
    expect(rest.body.requests.map((r: { seq: number }) => r.seq)).toEqual([150, 140, 130, 120, 110, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('refuses a bad filter with a 400 problem naming the parameter', async () => {
    const res = await admin.get(`${base()}?status=oops&color=red`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).toContain('status');
    expect(JSON.stringify(res.body)).toContain('color');
  });

  it('shows the directory last request and its error rate in the summary', async () => {
    const res = await admin.get(`/orgs/${dir.orgId}/request-summaries`);
    expect(res.status).toBe(200);
    expect(res.body.directories).toEqual([
      {
        directoryId: dir.directoryId,
        requests: 11,
        firstAt: expect.any(String),
        last: { at: expect.any(String), status: 404, method: 'GET', path: '/Users/does-not-exist' },
        recent: { minutes: 15, total: 11, counts: { '1xx': 0, '2xx': 9, '3xx': 0, '4xx': 2, '5xx': 0 }, failed: 2, errorRate: 2 / 11 },
      },
    ]);
  });

  it('keeps each organization to its own log', async () => {
    const other = await h.directory('entra');
    const otherAdmin = (await h.adminKey(other.orgId)).api;
    await scimAs(other.token, 'req-other-1').get('/Users?count=1');
    await flushed();
    expect((await otherAdmin.get(`${base()}`)).status).toBe(403);
    const ownList = await otherAdmin.get(`/orgs/${other.orgId}/directories/${dir.directoryId}/requests`);
    expect(ownList.status).toBe(404);
    expect((await otherAdmin.get(`/orgs/${other.orgId}/directories/${other.directoryId}/requests/req-create-1`)).status).toBe(404);
    const mine = await otherAdmin.get(`/orgs/${other.orgId}/directories/${other.directoryId}/requests`);
    expect(mine.body.requests.map((r: { requestId: string }) => r.requestId)).toEqual(['req-other-1']);
    const summaries = await otherAdmin.get(`/orgs/${other.orgId}/request-summaries`);
    expect(summaries.body.directories.map((d: { directoryId: string }) => d.directoryId)).toEqual([other.directoryId]);
  });

  it('does not log requests without a valid directory token', async () => {
    const before = await h.c.requestLogModels.entries.countDocuments({});
    await request(h.app).get('/scim/v2/Users').set('Authorization', 'Bearer not-a-token');
    await request(h.app).get('/scim/v2/ServiceProviderConfig');
    await flushed();
    expect(await h.c.requestLogModels.entries.countDocuments({})).toBe(before);
  });

  it('refuses a key without api.organization_admin.read', async () => {
    const { api } = await h.adminKey(dir.orgId, 'preset:org-reader');
    const res = await api.get(base());
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('this admin key lacks api.organization_admin.read');
  });

  it('charts propagation lag per minute, p50 and p99 of the changes applied in each minute', async () => {
    // The chart's window moves with the clock: start well inside a minute so the request lands in the same one.
    if (Date.now() % 60_000 > 50_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const applied = (id: string, at: number, lagMs: number) => ({ _id: id, orgId: dir.orgId, kind: 'user.created', userIds: [], groupIds: [], serviceAccountIds: [], wholeOrg: false, status: 'applied', acceptedAt: new Date(at - lagMs), appliedAt: new Date(at), lagMs, attempts: 1, error: null });
    await h.c.changeDocs.collection.insertMany([
      ...Array.from({ length: 10 }, (_, i) => applied(`lag-now-${i}`, minute + 1000 + i, (i + 1) * 100)),
      applied('lag-2m', minute - 2 * 60_000 + 5000, 40),
      applied('lag-old', minute - 90 * 60_000, 9999),
    ] as never[]);
    const res = await admin.get(`/orgs/${dir.orgId}/propagation/lag?minutes=5`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      goalMs: 1000,
      isPartial: false,
      minutes: [
        { at: new Date(minute - 4 * 60_000).toISOString(), applied: 0, p50: null, p99: null },
        { at: new Date(minute - 3 * 60_000).toISOString(), applied: 0, p50: null, p99: null },
        { at: new Date(minute - 2 * 60_000).toISOString(), applied: 1, p50: 40, p99: 40 },
        { at: new Date(minute - 1 * 60_000).toISOString(), applied: 0, p50: null, p99: null },
        { at: new Date(minute).toISOString(), applied: 10, p50: 500, p99: 1000 },
      ],
    });
    expect((await admin.get(`/orgs/${dir.orgId}/propagation/lag?minutes=999`)).status).toBe(400);
  });

  it('deletes whole days past the retention and keeps the rest', async () => {
    const DAY = 86_400_000;
    const now = Date.now();
    const old = { orgId: dir.orgId, directoryId: dir.directoryId, method: 'GET', path: '/Users', resource: 'Users', status: 200, statusClass: '2xx' as const, latencyMs: 1, userAgent: null, requestId: 'old', request: { text: null, chars: 0, isTruncated: false }, response: { text: null, chars: 0, isTruncated: false }, failure: null };
    await h.c.requestLogModels.entries.insertMany([
      { ...old, _id: 'old-9d', seq: 100_001, block: 1000, day: Math.floor((now - 9 * DAY) / DAY), at: new Date(now - 9 * DAY) },
      { ...old, _id: 'old-20d', seq: 100_002, block: 1000, day: Math.floor((now - 20 * DAY) / DAY), at: new Date(now - 20 * DAY) },
      { ...old, _id: 'recent-6d', seq: 100_003, block: 1000, day: Math.floor((now - 6 * DAY) / DAY), at: new Date(now - 6 * DAY) },
    ]);
    const before = await h.c.requestLogModels.entries.countDocuments({ directoryId: dir.directoryId });
    expect(await h.c.requestLog!.purge(new Date(now))).toBe(2);
    const left = await h.c.requestLogModels.entries.find({ requestId: 'old' }, { _id: 1 }).lean();
    expect(left.map((d) => d._id)).toEqual(['recent-6d']);
    expect(await h.c.requestLogModels.entries.countDocuments({ directoryId: dir.directoryId })).toBe(before - 2);
  });
});
