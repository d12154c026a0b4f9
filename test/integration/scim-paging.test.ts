import { GROUP_URN, newUser, startHarness, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { seedUsers } from '../support/seed';

jest.setTimeout(300_000);

/**
 * Okta's import and Entra's pagination walk `GET /Users?startIndex=N&count=M` to the end, and trust
 * `totalResults`. Here a directory of 10,000 users (seeded straight into the collection) is walked
 * page by page on whatever backend this run takes (FerretDB's Redis-kept order or MongoDB's index).
 */
/**
 * Under MONGO_BACKEND=mongodb on FerretDB the directory has 2,000 users: that path pages with
 * countDocuments and skip, which MongoDB answers from index keys but FerretDB by reading and sorting
 * the whole directory for every page.
 */
const N = process.env.MONGO_BACKEND === 'mongodb' ? 2_000 : 10_000;

describe(`paging through a directory of ${N.toLocaleString('en-US')} users`, () => {
  let h: Harness;
  let dir: TestDirectory;
  let scim: ScimClient;
  let seeded: string[];

  beforeAll(async () => {
    h = await startHarness();
    dir = await h.directory('okta');
    scim = h.as(dir);
    // Seeded users share one creation time, so their order is by id.
    seeded = (await seedUsers(h, dir, N)).userIds.sort();
  });
  afterAll(async () => h.close());

  async function walk(path: string, count: number): Promise<{ ids: string[]; totals: number[] }> {
    const ids: string[] = [];
    const totals: number[] = [];
    for (let start = 1; ; start += count) {
      const res = await scim.get(`${path}?startIndex=${start}&count=${count}&attributes=id`);
      expect(res.status).toBe(200);
      totals.push(res.body.totalResults);
      expect(res.body.startIndex).toBe(start);
      ids.push(...res.body.Resources.map((r: { id: string }) => r.id));
      if (res.body.Resources.length < count) return { ids, totals };
    }
  }

  it('answers count=0 with the exact total and no resources, and a page past the end with none', async () => {
    const zero = await scim.get('/Users?count=0');
    expect(zero.body).toMatchObject({ totalResults: N, itemsPerPage: 0, Resources: [] });
    const past = await scim.get(`/Users?startIndex=${N + 1}&count=100`);
    expect(past.body).toMatchObject({ totalResults: N, Resources: [] });
    const last = await scim.get(`/Users?startIndex=${N - 9}&count=100&attributes=id`);
    expect(last.body.Resources.map((r: { id: string }) => r.id)).toEqual(seeded.slice(N - 10));
  });

  it('pages in creation order (ties by id) from any start', async () => {
    const middle = await scim.get(`/Users?startIndex=${N / 2 + 1}&count=3&attributes=id`);
    expect(middle.body.Resources.map((r: { id: string }) => r.id)).toEqual(seeded.slice(N / 2, N / 2 + 3));
  });

  it('returns every user exactly once across pages with the exact total on each, after concurrent creates and deletes', async () => {
    const created: string[] = [];
    const deleted = seeded.filter((_, i) => i % (N / 50) === 7); // 50 users spread over every page
    await Promise.all([
      ...Array.from({ length: 50 }, async (_, i) => {
        const res = await scim.post('/Users', newUser(`paging-new-${i}@example.com`));
        expect(res.status).toBe(201);
        created.push(res.body.id);
      }),
      ...deleted.map(async (id) => expect((await scim.delete(`/Users/${id}`)).status).toBe(204)),
    ]);
    const { ids, totals } = await walk('/Users', 1000);
    const gone = new Set(deleted);
    const expected = [...seeded.filter((id) => !gone.has(id)), ...created];
    expect(ids).toHaveLength(N);
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(new Set(totals)).toEqual(new Set([N]));
    expect(new Set(ids.slice(N - 50))).toEqual(new Set(created));
    seeded = ids;
  });

  it('is still exact when Redis has lost what it kept (flushed or restarted)', async () => {
    const keys = await h.c.redis.keys(`${h.config.QUEUE_PREFIX}:listing:*`);
    if (keys.length) await h.c.redis.del(...keys);
    const zero = await scim.get('/Users?count=0');
    expect(zero.body.totalResults).toBe(N);
    const { ids } = await walk('/Users', 1000);
    expect(ids).toEqual(seeded);
  });

  it('pages groups the same way, with exact totals', async () => {
    const groupIds: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: `Paging group ${i}` });
      expect(res.status).toBe(201);
      groupIds.push(res.body.id);
    }
    expect((await scim.delete(`/Groups/${groupIds[3]}`)).status).toBe(204);
    const { ids, totals } = await walk('/Groups', 10);
    expect(ids).toEqual(groupIds.filter((_, i) => i !== 3));
    expect(new Set(totals)).toEqual(new Set([24]));
    expect((await scim.get('/Groups?count=0')).body.totalResults).toBe(24);
  });
});
