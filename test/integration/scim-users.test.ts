import { ENTERPRISE_URN, newUser, PATCH_URN, scimErrorBody, SCIM, startHarness, USER_URN, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { elemMatchRunsOnServer, userNamesByExactQuery } from '../support/exact-filter';

let h: Harness;
let dir: TestDirectory;
let scim: ScimClient;

beforeAll(async () => {
  h = await startHarness();
  dir = await h.directory('generic');
  scim = h.as(dir);
});
afterAll(() => h.close());

describe('SCIM Users', () => {
  it('creates a user and answers 201 with Location, ETag and full meta', async () => {
    const res = await scim.post('/Users', newUser('alice@example.com', { externalId: 'ext-alice', password: 'S3cret!pass' }));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: [USER_URN],
      id: expect.any(String),
      userName: 'alice@example.com',
      externalId: 'ext-alice',
      active: true,
      meta: { resourceType: 'User', created: expect.any(String), lastModified: expect.any(String), version: expect.any(String) },
    });
    expect(res.body.meta.location).toBe(`${res.headers.location}`);
    expect(res.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/scim/v2/Users/${res.body.id}$`));
    expect(res.headers.etag).toBe(res.body.meta.version);
    expect(res.body.password).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('S3cret');
  });

  it('never returns the password, even when asked for it by name', async () => {
    const created = await scim.post('/Users', newUser('pw-holder', { password: 'hunter2hunter2' }));
    const got = await scim.get(`/Users/${created.body.id}?attributes=password,userName`);
    expect(got.status).toBe(200);
    expect(got.body.password).toBeUndefined();
    expect(got.body.userName).toBe('pw-holder');
  });

  it('keeps userName exactly as sent but treats it as unique case-insensitively', async () => {
    const first = await scim.post('/Users', newUser('Bob.Smith@Example.com'));
    expect(first.body.userName).toBe('Bob.Smith@Example.com');
    const dup = await scim.post('/Users', newUser('bob.smith@example.COM'));
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual(scimErrorBody(409, 'uniqueness'));
  });

  it('finds a user by userName in any letter case (Okta upper-cases it)', async () => {
    await scim.post('/Users', newUser('carol@example.com'));
    const res = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "CAROL@EXAMPLE.COM"')}&startIndex=1&count=100`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0].userName).toBe('carol@example.com');
    expect(res.body.startIndex).toBe(1);
    expect(res.body.itemsPerPage).toBe(1);
  });

  it('answers an unknown userName with an empty list, not an error (Entra connection probe)', async () => {
    const res = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "2f0e0b8b-5f7e-4c3a-9a0e-7d1f0d4b8c11"')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('stores the enterprise extension and returns it under its URN', async () => {
    const res = await scim.post(
      '/Users',
      newUser('dave', {
        schemas: [USER_URN, ENTERPRISE_URN],
        [ENTERPRISE_URN]: { employeeNumber: '701', department: 'Research', costCenter: 'CC-9' },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.schemas).toEqual([USER_URN, ENTERPRISE_URN]);
    expect(res.body[ENTERPRISE_URN]).toEqual({ employeeNumber: '701', department: 'Research', costCenter: 'CC-9' });
    const found = await scim.get(`/Users?filter=${encodeURIComponent(`${ENTERPRISE_URN}:department eq "Research"`)}`);
    expect(found.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['dave']);
  });

  it('replaces a whole user with PUT and bumps the version', async () => {
    const created = await scim.post('/Users', newUser('erin', { title: 'Engineer' }));
    const put = await scim.put(`/Users/${created.body.id}`, newUser('erin', { displayName: 'Erin E.' }));
    expect(put.status).toBe(200);
    expect(put.body.displayName).toBe('Erin E.');
    expect(put.body.title).toBeUndefined();
    expect(put.body.meta.version).not.toBe(created.body.meta.version);
    expect(put.body.meta.created).toBe(created.body.meta.created);
  });

  it('deactivates a user with the PATCH Okta sends', async () => {
    const created = await scim.post('/Users', newUser('frank'));
    const res = await scim.patch(`/Users/${created.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect(res.headers['x-change-id']).toEqual(expect.any(String));
    const got = await scim.get(`/Users/${created.body.id}`);
    expect(got.body.active).toBe(false);
  });

  it('treats a PATCH that changes nothing as a no-op: same version, no change id', async () => {
    const created = await scim.post('/Users', newUser('gina'));
    const res = await scim.patch(`/Users/${created.body.id}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'replace', path: 'userName', value: 'gina' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.meta.version).toBe(created.body.meta.version);
    expect(res.headers['x-change-id']).toBeUndefined();
  });

  it('honours If-Match with 412 and If-None-Match with 304', async () => {
    const created = await scim.post('/Users', newUser('hank'));
    const stale = await scim
      .patch(`/Users/${created.body.id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'X' }] })
      .set('If-Match', 'W/"999"');
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(scimErrorBody(412));
    const fresh = await scim
      .patch(`/Users/${created.body.id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'X' }] })
      .set('If-Match', created.headers.etag);
    expect(fresh.status).toBe(200);
    const cached = await scim.get(`/Users/${created.body.id}`).set('If-None-Match', fresh.headers.etag);
    expect(cached.status).toBe(304);
  });

  it('deletes a user: 204, then 404 with a SCIM error', async () => {
    const created = await scim.post('/Users', newUser('ivan'));
    const del = await scim.delete(`/Users/${created.body.id}`);
    expect(del.status).toBe(204);
    const got = await scim.get(`/Users/${created.body.id}`);
    expect(got.status).toBe(404);
    expect(got.body).toEqual(scimErrorBody(404));
    const again = await scim.post('/Users', newUser('ivan'));
    expect(again.status).toBe(201);
  });

  it('pages with startIndex and count, and count=0 returns only the total', async () => {
    const d = await h.directory('generic');
    const c = h.as(d);
    for (let i = 0; i < 5; i++) await c.post('/Users', newUser(`pager-${i}`));
    const page = await c.get('/Users?startIndex=2&count=2&sortBy=userName');
    expect(page.body.totalResults).toBe(5);
    expect(page.body.startIndex).toBe(2);
    expect(page.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['pager-1', 'pager-2']);
    const desc = await c.get('/Users?sortBy=userName&sortOrder=descending&count=1');
    expect(desc.body.Resources[0].userName).toBe('pager-4');
    const total = await c.get('/Users?count=0');
    expect(total.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  });

  it('returns only the requested attributes, and always id and schemas', async () => {
    const created = await scim.post('/Users', newUser('jane', { title: 'CTO' }));
    const res = await scim.get(`/Users/${created.body.id}?attributes=userName,name.givenName`);
    expect(res.body).toEqual({ schemas: [USER_URN], id: created.body.id, userName: 'jane', name: { givenName: 'Test' } });
    const excl = await scim.get(`/Users/${created.body.id}?excludedAttributes=emails,meta,id`);
    expect(excl.body.emails).toBeUndefined();
    expect(excl.body.meta).toBeUndefined();
    expect(excl.body.id).toBe(created.body.id);
  });

  it('searches with POST /Users/.search', async () => {
    await scim.post('/Users', newUser('kate'));
    const res = await scim.post('/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "kat"',
      attributes: ['userName'],
      startIndex: 1,
      count: 10,
    });
    expect(res.status).toBe(200);
    expect(res.body.Resources).toEqual([{ schemas: [USER_URN], id: expect.any(String), userName: 'kate' }]);
  });

  it('answers a delta query on lastModified with the users changed in the window', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    await scim.post('/Users', newUser('leo'));
    const after = new Date(Date.now() + 60_000).toISOString();
    const filter = `active eq true and (meta.lastModified ge "${before}" and meta.lastModified le "${after}")`;
    const res = await scim.get(`/Users?filter=${encodeURIComponent(filter)}&count=1000`);
    expect(res.status).toBe(200);
    expect(res.body.Resources.map((u: { userName: string }) => u.userName)).toContain('leo');
  });

  it('filters a complex attribute so both conditions hold for the same email', async () => {
    const d = await h.directory('generic');
    const c = h.as(d);
    await c.post('/Users', newUser('m1', { emails: [{ type: 'work', value: 'm1@corp.example' }] }));
    await c.post('/Users', newUser('m2', { emails: [{ type: 'home', value: 'm2@corp.example' }, { type: 'work', value: 'm2-at-nowhere' }] }));
    const filter = 'emails[type eq "work" and value co "@corp"]';
    // MongoDB path on FerretDB: the exact $elemMatch is judged by MongoDB's semantics (support/exact-filter.ts).
    if (!(await elemMatchRunsOnServer(h))) return expect(await userNamesByExactQuery(h, d.directoryId, filter)).toEqual(['m1']);
    const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(200);
    expect(res.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['m1']);
    expect(res.body.totalResults).toBe(1);
  });

  it('rejects a malformed or unknown-attribute filter with 400 invalidFilter', async () => {
    for (const filter of ['userName eq', 'nosuch eq "x"', 'userName xx "y"', '(userName eq "a"']) {
      const res = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(scimErrorBody(400, 'invalidFilter'));
    }
  });

  it('treats injection-shaped filter values as plain strings', async () => {
    const a = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "\\" or 1==1"')}`);
    expect([200, 400]).toContain(a.status);
    if (a.status === 200) expect(a.body.totalResults).toBe(0);
    const b = await scim.get(`/Users?filter=${encodeURIComponent('userName co ".*"')}`);
    expect(b.status).toBe(200);
    expect(b.body.totalResults).toBe(0);
  });
});

describe('SCIM errors for bad input', () => {
  it('answers malformed JSON with 400 invalidSyntax and stores nothing', async () => {
    const res = await scim.raw('post', '/Users', '{"schemas": [');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(scimErrorBody(400, 'invalidSyntax'));
  });

  it('answers a body without schemas with 400 invalidSyntax', async () => {
    const res = await scim.post('/Users', { userName: 'no-schemas' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(scimErrorBody(400, 'invalidSyntax'));
    const check = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "no-schemas"')}`);
    expect(check.body.totalResults).toBe(0);
  });

  it('answers wrong types with 400 invalidValue', async () => {
    const res = await scim.post('/Users', newUser('typed', { active: 'maybe' }));
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe('invalidValue');
    const res2 = await scim.post('/Users', { schemas: [USER_URN], userName: { $gt: '' } });
    expect(res2.status).toBe(400);
  });

  it('answers requests in plain application/json too', async () => {
    const res = await scim.raw('post', '/Users', JSON.stringify(newUser('json-client')), 'application/json');
    expect(res.status).toBe(201);
  });

  it('answers an oversized body with a SCIM 413, not a dropped connection', async () => {
    const small = await startHarness({ SCIM_MAX_PAYLOAD_BYTES: '2048' });
    try {
      const d = await small.directory();
      const res = await small.as(d).post('/Users', newUser('big', { title: 'x'.repeat(10_000) }));
      expect(res.status).toBe(413);
      expect(res.body).toEqual(scimErrorBody(413));
    } finally {
      await small.close();
    }
  });

  it('answers 401 with WWW-Authenticate for a missing or wrong token', async () => {
    const none = await h.as({ ...dir, token: '' }).get('/Users').set('Authorization', '');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body).toEqual(scimErrorBody(401));
    const wrong = await h.as({ ...dir, token: 'scim_wrong' }).get('/Users');
    expect(wrong.status).toBe(401);
  });

  it('answers an unknown id with 404 on every method', async () => {
    for (const res of [
      await scim.get('/Users/nope'),
      await scim.put('/Users/nope', newUser('x')),
      await scim.patch('/Users/nope', { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }),
      await scim.delete('/Users/nope'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(scimErrorBody(404));
    }
  });

  it('answers with SCIM content type even for errors', async () => {
    const res = await scim.get('/Users/nope');
    expect(res.headers['content-type']).toMatch(new RegExp(`^${SCIM.replace('+', '\\+')}`));
  });
});
