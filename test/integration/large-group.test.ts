import { GROUP_URN, PATCH_URN, startHarness, type Harness, type ScimClient, type TestDirectory } from '../support/harness';
import { seedUsers } from '../support/seed';

jest.setTimeout(600_000);

/**
 * A group of 100,000 members (an "All Staff" group of a large tenant). Members are one document per
 * membership, so nothing here approaches MongoDB's 16 MB document cap. Setup writes the users and
 * memberships straight into the collections: going through SCIM would spend minutes on setup.
 */
/**
 * Under MONGO_BACKEND=mongodb on FerretDB the group has 10,000 members: the MongoDB path deletes a group's
 * memberships in one command, which FerretDB caps at 65,535 documents (PostgreSQL's parameter limit),
 * and its `$in` reads scan each collection whole. Real MongoDB takes the full size on that path.
 */
const N = process.env.MONGO_BACKEND === 'mongodb' ? 10_000 : 100_000;
const SIZE = N.toLocaleString('en-US');

describe(`a group of ${SIZE} members`, () => {
  let h: Harness;
  let dir: TestDirectory;
  let scim: ScimClient;
  let groupId: string;
  let members: string[];

  beforeAll(async () => {
    h = await startHarness();
    dir = await h.directory('entra');
    scim = h.as(dir);
    const seeded = await seedUsers(h, dir, N, { groupName: 'All Staff' });
    groupId = seeded.groupId!;
    members = seeded.userIds;
  });
  afterAll(async () => h.close());

  const membershipCount = () => h.c.models.memberships.countDocuments({ groupId });

  it('is found and read without its members when excludedAttributes=members', async () => {
    const one = await scim.get(`/Groups/${groupId}?excludedAttributes=members`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: groupId, displayName: 'All Staff' });
    expect(one.body.members).toBeUndefined();
    const listed = await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "all staff"')}&excludedAttributes=members`);
    expect(listed.body).toMatchObject({ totalResults: 1, Resources: [expect.objectContaining({ id: groupId })] });
    expect(listed.body.Resources[0].members).toBeUndefined();
  });

  it('adds 1,000 new members and re-adds existing ones in one PATCH, without duplicates', async () => {
    const { userIds: newcomers } = await seedUsers(h, dir, 1000);
    const t = Date.now();
    const res = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'add', path: 'members', value: [...newcomers, ...members.slice(0, 50)].map((value) => ({ value })) }],
    });
    expect(res.status).toBeLessThan(300);
    const tAdd = Date.now() - t;
    expect(await membershipCount()).toBe(N + 1000);
    const t2 = Date.now();
    const removed = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_URN],
      Operations: [{ op: 'Remove', path: 'members', value: newcomers.map((value) => ({ value })) }],
    });
    expect(removed.status).toBeLessThan(300);
    console.log(`${SIZE}-member group: PATCH +1,050 members (50 already in) ${tAdd} ms, PATCH -1,000 members ${Date.now() - t2} ms`);
    expect(await membershipCount()).toBe(N);
  });

  it(`returns all ${SIZE} members when asked for them`, async () => {
    const t = Date.now();
    const res = await scim.get(`/Groups/${groupId}`);
    expect(res.status).toBe(200);
    console.log(`${SIZE}-member group: GET with members ${Date.now() - t} ms, ${res.text.length} bytes`);
    expect(res.body.members).toHaveLength(N);
    expect(new Set(res.body.members.map((m: { value: string }) => m.value)).size).toBe(N);
  });

  it('drops a deleted user from the group', async () => {
    const t = Date.now();
    expect((await scim.delete(`/Users/${members[7]}`)).status).toBe(204);
    console.log(`${SIZE}-member group: DELETE of a member user ${Date.now() - t} ms`);
    expect(await membershipCount()).toBe(N - 1);
    const member = await scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${members[7]}"`)}&excludedAttributes=members`);
    expect(member.body.totalResults).toBe(0);
  });

  it('deletes the group and every membership', async () => {
    const t = Date.now();
    expect((await scim.delete(`/Groups/${groupId}`)).status).toBe(204);
    console.log(`${SIZE}-member group: DELETE ${Date.now() - t} ms`);
    expect((await scim.get(`/Groups/${groupId}`)).status).toBe(404);
    expect(await membershipCount()).toBe(0);
    const user = await scim.get(`/Users/${members[8]}`);
    expect(user.body.groups ?? []).toEqual([]);
  });
});
