import request from 'supertest';
import { newUser, startHarness, type Harness, type TestDirectory } from '../support/harness';

// Console sessions: an admin key exchanged for an HttpOnly cookie, CSRF-checked writes, logout,
// revocation; and the directory browsing routes the console's Users screen reads.

let h: Harness;
let dir: TestDirectory;
let owner: { secret: string; keyId: string };

beforeAll(async () => {
  h = await startHarness();
  dir = await h.directory('okta');
  owner = await h.adminKey(dir.orgId);
});
afterAll(() => h.close());

const problem = (status: number) => ({ type: 'about:blank', title: expect.any(String), status, detail: expect.any(String), instance: expect.any(String) });

async function signIn(adminKey: string) {
  const res = await request(h.app).post('/api/v1/session').send({ adminKey });
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0] ?? '';
  return { res, cookie: cookie.split(';')[0], setCookie: cookie };
}

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers who the key is', async () => {
    const { res, setCookie } = await signIn(owner.secret);
    expect(res.status).toBe(201);
    expect(setCookie).toMatch(/^scim_sync_session=ses_[A-Za-z0-9_-]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(res.body).toEqual({
      orgId: dir.orgId,
      orgSlug: expect.any(String),
      keyName: 'test-preset:org-owner',
      permissions: expect.arrayContaining(['api.organization_admin.write']),
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    const hours = (Date.parse(res.body.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8);
  });

  it('stores only the hash of the session id', async () => {
    const { cookie } = await signIn(owner.secret);
    const sessionId = cookie.split('=')[1];
    const docs = await h.c.mongo.db!.collection('admin_sessions').find({}).toArray();
    expect(docs.length).toBeGreaterThan(0);
    expect(JSON.stringify(docs)).not.toContain(sessionId);
  });

  it('refuses a key that is not valid with 401 and sets no cookie', async () => {
    const res = await request(h.app).post('/api/v1/session').send({ adminKey: 'adm_nope' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(problem(401));
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a body without adminKey with a 400 naming the field', async () => {
    const res = await request(h.app).post('/api/v1/session').send({ key: owner.secret });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('refuses a sign-in posted from another origin', async () => {
    const res = await request(h.app).post('/api/v1/session').set('Origin', 'https://evil.example').send({ adminKey: owner.secret });
    expect(res.status).toBe(403);
  });

  it('marks the cookie Secure when the service is reached over https', async () => {
    const res = await request(h.app).post('/api/v1/session').set('X-Forwarded-Proto', 'https').send({ adminKey: owner.secret });
    expect(res.headers['set-cookie']![0]).toMatch(/; Secure/);
  });
});

describe('a session cookie', () => {
  it('authenticates reads, and GET /session answers the same as the sign-in', async () => {
    const { res: first, cookie } = await signIn(owner.secret);
    const again = await request(h.app).get('/api/v1/session').set('Cookie', cookie);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const dirs = await request(h.app).get(`/api/v1/orgs/${dir.orgId}/directories`).set('Cookie', cookie);
    expect(dirs.status).toBe(200);
    expect(dirs.body.directories).toHaveLength(1);
  });

  it('refuses a write without the X-CSRF-Token header with 403', async () => {
    const { cookie } = await signIn(owner.secret);
    const res = await request(h.app).post(`/api/v1/orgs/${dir.orgId}/projects`).set('Cookie', cookie).send({ name: 'no-csrf' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ ...problem(403), detail: "a write with a console session needs the session's X-CSRF-Token header" });
  });

  it('refuses a write with another session\'s CSRF token', async () => {
    const a = await signIn(owner.secret);
    const b = await signIn(owner.secret);
    const res = await request(h.app).post(`/api/v1/orgs/${dir.orgId}/projects`).set('Cookie', a.cookie).set('X-CSRF-Token', b.res.body.csrfToken).send({ name: 'wrong-csrf' });
    expect(res.status).toBe(403);
  });

  it('refuses a write from another origin even with the right token', async () => {
    const { res: s, cookie } = await signIn(owner.secret);
    const res = await request(h.app).post(`/api/v1/orgs/${dir.orgId}/projects`).set('Cookie', cookie).set('X-CSRF-Token', s.body.csrfToken).set('Origin', 'http://evil.example').send({ name: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('the request comes from another origin');
  });

  it('allows a write with the token and its own origin', async () => {
    const { res: s, cookie } = await signIn(owner.secret);
    const agent = request(h.app);
    const res = await agent.post(`/api/v1/orgs/${dir.orgId}/projects`).set('Cookie', cookie).set('X-CSRF-Token', s.body.csrfToken).send({ name: 'with-csrf' });
    expect(res.status).toBe(201);
  });

  it('is answered 401 after logout, and logout clears the cookie', async () => {
    const { res: s, cookie } = await signIn(owner.secret);
    const out = await request(h.app).delete('/api/v1/session').set('Cookie', cookie).set('X-CSRF-Token', s.body.csrfToken);
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']![0]).toMatch(/^scim_sync_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    const after = await request(h.app).get('/api/v1/session').set('Cookie', cookie);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ ...problem(401), detail: 'the console session has ended; sign in again' });
  });

  it('ends when its admin key is revoked', async () => {
    const key = await h.adminKey(dir.orgId);
    const { cookie } = await signIn(key.secret);
    expect((await request(h.app).get('/api/v1/session').set('Cookie', cookie)).status).toBe(200);
    await h.c.rbac.revokeAdminKey(dir.orgId, key.keyId);
    const after = await request(h.app).get('/api/v1/session').set('Cookie', cookie);
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('the admin key of this session was revoked; sign in again');
  });

  it('ends once expired', async () => {
    const { cookie } = await signIn(owner.secret);
    await h.c.mongo.db!.collection('admin_sessions').updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const after = await request(h.app).get('/api/v1/session').set('Cookie', cookie);
    expect(after.status).toBe(401);
  });

  it('carries only the key\'s permissions: a reader cannot create a directory', async () => {
    const reader = await h.adminKey(dir.orgId, 'preset:org-reader');
    const { res: s, cookie } = await signIn(reader.secret);
    expect(s.body.permissions).not.toContain('api.organization_admin.write');
    const res = await request(h.app).post(`/api/v1/orgs/${dir.orgId}/directories`).set('Cookie', cookie).set('X-CSRF-Token', s.body.csrfToken).send({ name: 'nope', provider: 'okta' });
    expect(res.status).toBe(403);
  });

  it('GET /session without a cookie is 401 and a bearer key still works without one', async () => {
    expect((await request(h.app).get('/api/v1/session')).status).toBe(401);
    const res = await request(h.app).get(`/api/v1/orgs/${dir.orgId}/directories`).set('Authorization', `Bearer ${owner.secret}`);
    expect(res.status).toBe(200);
  });
});

describe('GET /orgs/:org/directories/:id/users', () => {
  beforeAll(async () => {
    const scim = h.as(dir);
    for (let i = 0; i < 7; i++) {
      const res = await scim.post('/Users', newUser(`browse.${i}@example.com`, { displayName: `Browse Person ${i}`, externalId: `ext-${i}` }));
      expect(res.status).toBe(201);
    }
  });
  const api = () => ({ get: (path: string) => request(h.app).get(`/api/v1/orgs/${dir.orgId}/directories/${dir.directoryId}${path}`).set('Authorization', `Bearer ${owner.secret}`) });

  it('pages the directory\'s users in creation order with the total', async () => {
    const res = await api().get('/users?startIndex=3&count=2');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      total: 7,
      startIndex: 3,
      count: 2,
      users: [
        expect.objectContaining({ userName: 'browse.2@example.com', displayName: 'Browse Person 2', email: 'browse.2@example.com', active: true, externalId: 'ext-2' }),
        expect.objectContaining({ userName: 'browse.3@example.com' }),
      ],
    });
  });

  it('searches userName case-blind, displayName and an exact externalId', async () => {
    expect((await api().get('/users?search=BROWSE.4')).body.users.map((u: { userName: string }) => u.userName)).toEqual(['browse.4@example.com']);
    expect((await api().get('/users?search=person%205')).body.total).toBe(1);
    expect((await api().get('/users?search=ext-6')).body.users[0].userName).toBe('browse.6@example.com');
    expect((await api().get('/users?search=.*')).body.total).toBe(0);
  });

  it('answers 400 for a count out of range or an unknown parameter', async () => {
    expect((await api().get('/users?count=0')).status).toBe(400);
    expect((await api().get('/users?filter=x')).status).toBe(400);
  });

  it('shows one user with attributes and groups, without the password hash', async () => {
    const list = await api().get('/users?search=browse.1@');
    const res = await api().get(`/users/${list.body.users[0].id}`);
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual(expect.objectContaining({ userName: 'browse.1@example.com', displayName: 'Browse Person 1' }));
    expect(res.body.groups).toEqual([]);
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|userNameKey/);
  });

  it('answers 404 for another directory\'s or an unknown user, and 403 for a reader', async () => {
    expect((await api().get('/users/nope')).status).toBe(404);
    const reader = await h.adminKey(dir.orgId, 'preset:org-reader');
    expect((await reader.api.get(`/orgs/${dir.orgId}/directories/${dir.directoryId}/users`)).status).toBe(403);
  });
});
