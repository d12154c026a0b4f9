import { PATCH_URN, newUser, startHarness, type Harness, type Peer } from '../support/harness';

/**
 * IdPs look the same users up again and again (`userName eq` before every push, GET by id after).
 * Instance B answers those from its cache; every write made through instance A must be seen by B's
 * very next read.
 */
describe('SCIM user reads from cache across instances', () => {
  let h: Harness;
  let b: Peer;
  beforeAll(async () => {
    h = await startHarness();
    b = await h.peer();
  });
  afterAll(async () => h.close());

  const byName = (c: ReturnType<Peer['as']>, userName: string) =>
    c.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`).then((r) => {
      expect(r.status).toBe(200);
      return r.body as { totalResults: number; Resources: Array<Record<string, unknown>> };
    });

  async function warm(dirProvider: 'okta' | 'entra' = 'okta') {
    const dir = await h.directory(dirProvider);
    const userName = `Cached.${Date.now()}@Example.com`;
    const id = (await h.as(dir).post('/Users', newUser(userName, { title: 'Engineer' }))).body.id as string;
    const onB = b.as(dir);
    const hits = b.c.fresh.counts().hit;
    for (let i = 0; i < 3; i++) expect((await byName(onB, userName.toUpperCase())).Resources[0]).toMatchObject({ id, title: 'Engineer' });
    expect(b.c.fresh.counts().hit - hits).toBeGreaterThanOrEqual(1);
    return { dir, id, userName, onA: h.as(dir), onB };
  }

  it('shows an attribute change made on the other instance at the very next lookup', async () => {
    const { id, userName, onA, onB } = await warm();
    await onA.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'Manager' }] });
    expect((await byName(onB, userName)).Resources[0]).toMatchObject({ id, title: 'Manager' });
    expect((await onB.get(`/Users/${id}`)).body.title).toBe('Manager');
  });

  it('finds nobody under the old userName after a rename on the other instance, and the user under the new one', async () => {
    const { id, userName, onA, onB } = await warm();
    await onA.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'userName', value: `renamed-${userName}` }] });
    expect((await byName(onB, userName)).totalResults).toBe(0);
    expect((await byName(onB, `renamed-${userName}`)).Resources[0]).toMatchObject({ id });
  });

  it('finds nobody after a DELETE on the other instance, then the new user who takes the userName', async () => {
    const { dir, id, userName, onA, onB } = await warm();
    expect((await onB.get(`/Users/${id}`)).status).toBe(200);
    expect((await onA.delete(`/Users/${id}`)).status).toBe(204);
    expect((await byName(onB, userName)).totalResults).toBe(0);
    expect((await onB.get(`/Users/${id}`)).status).toBe(404);
    const again = (await h.as(dir).post('/Users', newUser(userName))).body.id as string;
    expect((await byName(onB, userName)).Resources[0]).toMatchObject({ id: again });
  });

  it("never serves one directory's cached user to another directory's token", async () => {
    const { id, userName } = await warm();
    const other = await h.directory('okta');
    expect((await byName(b.as(other), userName)).totalResults).toBe(0);
    expect((await b.as(other).get(`/Users/${id}`)).status).toBe(404);
  });

  it('answers count=0 and attribute projections from a cached user as from the database', async () => {
    const { userName, onB } = await warm();
    const counted = await onB.get(`/Users?count=0&filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(counted.body).toMatchObject({ totalResults: 1, Resources: [] });
    const projected = await onB.get(`/Users?attributes=userName&filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(Object.keys(projected.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
    // The projection did not damage what the cache holds.
    expect((await byName(onB, userName)).Resources[0]).toMatchObject({ title: 'Engineer', name: expect.any(Object) });
  });
});
