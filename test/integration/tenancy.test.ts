import { GROUP_URN, newUser, PATCH_URN, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('directory isolation', () => {
  it('never lets one directory token see or change another directory\'s resources', async () => {
    const a = await h.directory('okta', 'acme');
    const b = await h.directory('entra', 'acme');
    const other = await h.directory('generic', 'globex');
    const user = await h.as(a).post('/Users', newUser('shared-name@example.com'));
    const group = await h.as(a).post('/Groups', { schemas: [GROUP_URN], displayName: 'A only', members: [{ value: user.body.id }] });

    for (const intruder of [b, other]) {
      const c = h.as(intruder);
      expect((await c.get(`/Users/${user.body.id}`)).status).toBe(404);
      expect((await c.get(`/Groups/${group.body.id}`)).status).toBe(404);
      expect((await c.put(`/Users/${user.body.id}`, newUser('hijack'))).status).toBe(404);
      expect(
        (await c.patch(`/Users/${user.body.id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] })).status,
      ).toBe(404);
      expect((await c.delete(`/Users/${user.body.id}`)).status).toBe(404);
      const list = await c.get('/Users');
      expect(list.body.totalResults).toBe(0);
      const byName = await c.get(`/Users?filter=${encodeURIComponent('userName eq "shared-name@example.com"')}`);
      expect(byName.body.totalResults).toBe(0);
      // A foreign user id cannot be added as a member either.
      const own = await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'mine' });
      const add = await c.patch(`/Groups/${own.body.id}`, {
        schemas: [PATCH_URN],
        Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }],
      });
      expect(add.status).toBe(400);
    }
    // The same userName may exist in another directory.
    expect((await h.as(b).post('/Users', newUser('shared-name@example.com'))).status).toBe(201);
    expect((await h.as(a).get(`/Users/${user.body.id}`)).body.active).toBe(true);
  });
});

describe('directory tokens', () => {
  it('keeps the old token working after a rotation until it is revoked', async () => {
    const d = await h.directory('okta');
    const next = await h.c.tenancy.issueToken(d.directoryId);
    expect((await h.as(d).get('/Users')).status).toBe(200);
    expect((await h.as({ ...d, token: next.token }).get('/Users')).status).toBe(200);
    expect(await h.c.tenancy.revokeOlderTokens(d.directoryId)).toBe(1);
    expect((await h.as(d).get('/Users')).status).toBe(401);
    expect((await h.as({ ...d, token: next.token }).get('/Users')).status).toBe(200);
  });

  it('stores only a hash of each token', async () => {
    const d = await h.directory('okta');
    const stored = await h.c.models.tokens.find({ directoryId: d.directoryId }).lean();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(d.token);
    expect(stored[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.token.length).toBeGreaterThanOrEqual(43);
  });

  it('rejects a revoked token at once', async () => {
    const d = await h.directory('okta');
    const [t] = await h.c.tenancy.listTokens(d.directoryId);
    await h.c.tenancy.revokeToken(d.directoryId, t.id);
    expect((await h.as(d).get('/Users')).status).toBe(401);
  });
});

describe('rate limiting', () => {
  it('answers 429 with an integer Retry-After when a directory exceeds its rate', async () => {
    const limited = await startHarness({ SCIM_RATE_LIMIT_PER_SECOND: '1', SCIM_RATE_LIMIT_BURST: '3' });
    try {
      const d = await limited.directory('entra');
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 6; i++) {
        const r = await limited.as(d).get('/Users');
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers['retry-after'];
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses).toContain(429);
      expect(retryAfter).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
  });
});
