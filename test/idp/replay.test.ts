import type { Response } from 'supertest';
import { ENTERPRISE_URN, startHarness, type Harness } from '../support/harness';
import { buildWorld, loadFixtures, replay, type World } from '../support/fixtures';

/**
 * Every recorded IdP request is replayed as sent (method, path, headers, body) into a fresh world
 * of users and a group, and must get the status the IdP expects. Behaviour the IdP depends on is
 * then checked by reading the resources back.
 */
type Check = (h: Harness, w: World, res: Response) => Promise<void>;

const memberIds = async (h: Harness, w: World) =>
  ((await h.as(w.dir).get(`/Groups/${w.ids.groupId}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();
const user = async (h: Harness, w: World, id = w.ids.userId) => (await h.as(w.dir).get(`/Users/${id}`)).body;
const sorted = (...ids: string[]) => [...ids].sort();
/** buildWorld creates six active users in each fixture's own directory; filters that match them all see exactly these. */
const WORLD_USERS = 6;

const checks: Record<string, Check> = {
  'okta/get-users-filter-username-uppercase.json': async (_h, _w, res) => {
    expect(res.body.Resources.every((r: { userName: string }) => r.userName === 'okta.create.jdoe@example.com')).toBe(true);
  },
  'okta/patch-user-deactivate.json': async (h, w, res) => {
    expect(res.body.active).toBe(false);
    expect((await user(h, w)).active).toBe(false);
  },
  'okta/put-user-deactivate.json': async (h, w) => {
    expect((await user(h, w)).active).toBe(false);
  },
  'okta/post-user.json': async (_h, _w, res) => {
    expect(res.body.userName).toBe('okta.create.jdoe@example.com');
    expect(res.body.password).toBeUndefined();
    expect(res.body.groups).toBeUndefined();
  },
  'okta/put-group-replace-members.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member1Id, w.ids.member3Id));
  },
  'okta/patch-group-rename.json': async (h, w, res) => {
    expect(res.body.displayName).toBe('Okta Renamed Group');
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member1Id, w.ids.member2Id));
    // Okta re-sends the same rename with every membership change: the second one changes nothing.
    const again = await replay(h, w, fixtureNamed('okta/patch-group-rename.json'));
    expect(again.status).toBe(200);
    expect(again.headers.etag).toBe(res.headers.etag);
    expect(again.headers['x-change-id']).toBeUndefined();
  },
  'okta/patch-group-add-members.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member1Id, w.ids.member2Id, w.ids.member3Id));
  },
  'okta/patch-group-remove-member.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual([w.ids.member2Id]);
  },
  'okta/patch-group-add-and-remove-members.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member1Id, w.ids.member3Id));
  },
  'okta/delete-group.json': async (h, w) => {
    expect((await h.as(w.dir).get(`/Groups/${w.ids.groupId}`)).status).toBe(404);
  },
  'entra/get-users-connection-probe.json': async (_h, _w, res) => {
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  },
  'entra/get-groups-filter-displayname-excluding-members.json': async (_h, _w, res) => {
    for (const g of res.body.Resources) expect(g.members).toBeUndefined();
  },
  'entra/get-users-filter-attribute-name-case.json': async (_h, _w, res) => {
    expect(res.body.totalResults).toBe(WORLD_USERS);
  },
  'entra/get-users-filter-lastmodified-lowercase.json': async (_h, _w, res) => {
    expect(res.body.totalResults).toBe(WORLD_USERS);
  },
  'entra/get-users-delta-last-modified.json': async (_h, _w, res) => {
    expect(res.body.totalResults).toBe(WORLD_USERS);
  },
  'entra/post-user-enterprise-extension.json': async (_h, _w, res) => {
    expect(typeof res.body.active).toBe('boolean');
    expect(res.body[ENTERPRISE_URN]).toBeDefined();
  },
  'entra/post-user-enterprise-urn-without-extension.json': async (_h, _w, res) => {
    expect(res.body.schemas).toContain(ENTERPRISE_URN);
  },
  'entra/patch-user-active-false-string.json': async (h, w) => {
    expect((await user(h, w)).active).toBe(false);
  },
  'entra/patch-user-disable.json': async (h, w) => {
    expect((await user(h, w)).active).toBe(false);
  },
  'entra/patch-user-no-path-attribute-path-keys.json': async (h, w) => {
    const u = await user(h, w);
    expect(u.name.givenName).toBe('X');
    expect(u.name.familyName).toBe('User');
    expect(u[ENTERPRISE_URN].employeeNumber).toBe('7');
  },
  'entra/patch-user-work-email.json': async (h, w) => {
    const u = await user(h, w);
    const work = u.emails.filter((e: { type: string }) => e.type === 'work');
    expect(work).toHaveLength(1);
    expect(work[0].value).toBe('entra.updated.email@contoso.com');
  },
  'entra/patch-user-work-phone.json': async (h, w) => {
    const u = await user(h, w);
    expect(u.phoneNumbers.find((p: { type: string }) => p.type === 'work')?.value).toBeTruthy();
  },
  'entra/patch-user-work-address-postal-code.json': async (h, w) => {
    const u = await user(h, w);
    expect(u.addresses.find((a: { type: string }) => a.type === 'work')?.postalCode).toBeTruthy();
  },
  'entra/patch-user-role-primary.json': async (h, w) => {
    const u = await user(h, w);
    expect(u.roles).toEqual([{ primary: true, value: 'Admin' }]);
  },
  'entra/patch-user-manager-enterprise-urn.json': async (h, w) => {
    expect((await user(h, w))[ENTERPRISE_URN].manager.value).toBe(w.ids.managerId);
  },
  'entra/patch-user-manager-bare-path-array.json': async (h, w) => {
    expect((await user(h, w))[ENTERPRISE_URN].manager.value).toBe(w.ids.managerId);
  },
  'entra/delete-user.json': async (h, w) => {
    expect((await h.as(w.dir).get(`/Users/${w.ids.userId}`)).status).toBe(404);
  },
  'entra/post-group-adscim-schema.json': async (_h, _w, res) => {
    expect(res.body.id).toEqual(expect.any(String));
  },
  'entra/patch-group-add-members.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member1Id, w.ids.member2Id, w.ids.member3Id, w.ids.user2Id));
  },
  'entra/patch-group-remove-member-filter.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual([w.ids.member2Id]);
  },
  'entra/patch-group-remove-members-value.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual([w.ids.member1Id]);
  },
  'entra/patch-group-multiple-member-changes.json': async (h, w) => {
    expect(await memberIds(h, w)).toEqual(sorted(w.ids.member2Id, w.ids.member3Id, w.ids.userId));
  },
};

const all = [...loadFixtures('okta'), ...loadFixtures('entra')];
const fixtureNamed = (file: string) => all.find((f) => f.file === file)!;

describe('IdP request replays', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it.each(all.map((f) => [f.file, f] as const))('%s', async (_name, f) => {
    const dir = await h.directory(f.idp);
    const world = await buildWorld(h, dir);
    const expected = (f as unknown as { expect: { status: number } }).expect.status;
    // Lookups of a POSTed name see it when its POST was replayed into the same directory first.
    const res = await replay(h, world, f);
    expect({ status: res.status, body: res.status >= 400 ? res.body : undefined }).toEqual({ status: expected, body: undefined });
    await checks[f.file]?.(h, world, res);
  });

  it('has a behavioural check for every fixture that changes state', () => {
    const writes = all.filter((f) => f.request.method !== 'GET' && f.file !== 'okta/patch-user-reactivate.json');
    const unchecked = writes.filter((f) => !checks[f.file] && !/put-user-profile|patch-user-capitalized|roles-complex|remove-manager|replace-displayname|post-group\.json/.test(f.file));
    expect(unchecked.map((f) => f.file)).toEqual([]);
  });
});
