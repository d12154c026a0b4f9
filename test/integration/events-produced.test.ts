import { GROUP_URN, PATCH_URN, newUser, startHarness, type Harness, type TestDirectory } from '../support/harness';
import { seedUsers, waitUntil } from '../support/seed';
import { buildWorld, fixture, replay } from '../support/fixtures';
import type { EventDoc, EventType } from '../../src/events/event-types';
import { presetRoleById } from '../../src/rbac/preset-roles';

jest.setTimeout(180_000);

/**
 * The events SCIM and admin writes produce, read back from the log after the real workers
 * (propagation, sequencer) ran: exact types, order and data, and no duplicates.
 */
describe('events produced by SCIM, admin and propagation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ SWEEP_GRACE_MS: '300', SWEEP_INTERVAL_MS: '200' });
    await h.startWorkers();
  });
  afterAll(async () => h.close());

  /** Everything in the organization's log once nothing is pending: changes applied, drafts sequenced. */
  async function logOf(orgId: string): Promise<EventDoc[]> {
    await waitUntil(
      'changes applied and drafts sequenced',
      async () => {
        const pendingChanges = await h.c.changeDocs.countDocuments({ orgId, status: 'pending' });
        const drafts = await h.c.events.models.drafts.countDocuments({ orgId });
        return pendingChanges === 0 && drafts === 0;
      },
      60_000,
      50,
    );
    return (await h.c.events.log.list(orgId, { after: 0, limit: 1000 })).events as EventDoc[];
  }

  /** The log once it holds at least `n` events of these types (then exactly what it holds). */
  async function waitForTypes(orgId: string, types: EventType[], n: number): Promise<EventDoc[]> {
    let got: EventDoc[] = [];
    await waitUntil(`${n} events of ${types.join(',')}`, async () => {
      got = (await logOf(orgId)).filter((e) => types.includes(e.type));
      return got.length >= n;
    }, 60_000, 100);
    return got;
  }

  const about = (events: EventDoc[], id: string) => events.filter((e) => e.subject.id === id);
  const typesOf = (events: EventDoc[]) => events.map((e) => e.type);

  async function orgWithProject() {
    const dir = await h.directory('okta');
    const { api } = await h.adminKey(dir.orgId);
    const project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Research' })).body.id as string;
    return { dir, api, project };
  }

  const memberPerms = [...presetRoleById('preset:project-member')!.permissions].sort();

  it('a user created, updated, deactivated, reactivated and deleted yields exactly those events in seq order, previous holding only what changed', async () => {
    const dir = await h.directory();
    const c = h.as(dir);
    const created = await c.post('/Users', newUser('life@example.com', { externalId: 'ext-life', displayName: 'Life Cycle' }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const updated = await c.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'Life Renamed' }, { op: 'add', path: 'title', value: 'Engineer' }] });
    expect(updated.status).toBe(200);
    expect((await c.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    expect((await c.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'active', value: true }] })).status).toBe(200);
    expect((await c.delete(`/Users/${id}`)).status).toBe(204);

    const events = await waitForTypes(dir.orgId, ['user.deleted'], 1).then(() => logOf(dir.orgId));
    expect(typesOf(events)).toEqual(['user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.deleted']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) {
      expect(e).toMatchObject({ orgId: dir.orgId, directoryId: dir.directoryId, subject: { type: 'user', id }, actor: { type: 'directory', id: dir.directoryId } });
      expect(e.requestId).toEqual(expect.any(String));
    }
    expect(events[0].data).toEqual({
      id,
      userName: 'life@example.com',
      externalId: 'ext-life',
      displayName: 'Life Cycle',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ value: 'life@example.com', type: 'work', primary: true }],
      active: true,
    });
    expect(events[0].changeId).toBeNull();
    expect(events[1].data).toMatchObject({ id, displayName: 'Life Renamed', title: 'Engineer', active: true });
    expect(events[1].data.previous).toEqual({ displayName: 'Life Cycle', title: null });
    expect(events[2].data).toMatchObject({ id, active: false });
    expect(events[2].changeId).toEqual(expect.any(String));
    expect(events[3].data).toMatchObject({ id, active: true });
    expect(events[4].data).toEqual({ id, userName: 'life@example.com', externalId: 'ext-life' });
  });

  it('an unchanged PUT, a repeated PATCH and a password change alone yield no event', async () => {
    const dir = await h.directory();
    const c = h.as(dir);
    const body = newUser('same@example.com');
    const id = (await c.post('/Users', body)).body.id as string;
    expect((await c.put(`/Users/${id}`, body)).status).toBe(200);
    const rename = { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'Once' }] };
    expect((await c.patch(`/Users/${id}`, rename)).status).toBe(200);
    expect((await c.patch(`/Users/${id}`, rename)).status).toBe(200);
    expect((await c.patch(`/Users/${id}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'password', value: 'N3w-Secret-pass' }] })).status).toBe(200);
    const events = await logOf(dir.orgId);
    expect(typesOf(events)).toEqual(['user.created', 'user.updated']);
    expect(JSON.stringify(events)).not.toContain('N3w-Secret-pass');
  });

  it('a group rename yields group.updated with previous.displayName, and member PATCHes one event per request listing the members', async () => {
    const dir = await h.directory();
    const c = h.as(dir);
    const [u1, u2, u3] = await Promise.all(['m1', 'm2', 'm3'].map(async (n) => (await c.post('/Users', newUser(`${n}@example.com`))).body.id as string));
    const g = (await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Eng', members: [{ value: u1 }] })).body.id as string;
    expect((await c.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { displayName: 'Engineering' } }] })).status).toBe(200);
    expect((await c.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: u2 }, { value: u3 }] }] })).status).toBe(200);
    // Adding someone already there changes nothing.
    expect((await c.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: u2 }] }] })).status).toBe(200);
    expect((await c.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'remove', path: `members[value eq "${u1}"]` }] })).status).toBe(200);
    expect((await c.delete(`/Groups/${g}`)).status).toBe(204);

    const events = about(await waitForTypes(dir.orgId, ['group.deleted'], 1).then(() => logOf(dir.orgId)), g);
    expect(typesOf(events)).toEqual(['group.created', 'group.members.added', 'group.updated', 'group.members.added', 'group.members.removed', 'group.deleted']);
    expect(events[0].data).toEqual({ id: g, displayName: 'Eng' });
    expect(events[1].data).toEqual({ groupId: g, members: [{ type: 'user', id: u1 }], count: 1, part: 1, parts: 1 });
    expect(events[2].data).toEqual({ id: g, displayName: 'Engineering', previous: { displayName: 'Eng' } });
    expect(events[2].changeId).toBeNull();
    expect(events[3].data).toEqual({ groupId: g, members: [{ type: 'user', id: u2 }, { type: 'user', id: u3 }], count: 2, part: 1, parts: 1 });
    expect(events[3].changeId).toEqual(expect.any(String));
    expect(events[4].data).toEqual({ groupId: g, members: [{ type: 'user', id: u1 }], count: 1, part: 1, parts: 1 });
    expect(events[5].data).toEqual({ id: g, displayName: 'Engineering' });
  });

  it('splits a member list of more than 1,000 into events of at most 1,000 members', async () => {
    const dir = await h.directory();
    const { userIds } = await seedUsers(h, dir, 1001);
    const c = h.as(dir);
    const g = (await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Big' })).body.id as string;
    const res = await c.patch(`/Groups/${g}`, { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: userIds.map((value) => ({ value })) }] });
    expect(res.status).toBe(200);
    const added = await waitForTypes(dir.orgId, ['group.members.added'], 2);
    expect(added.map((e) => [e.data.count, e.data.part, e.data.parts])).toEqual([[1000, 1, 2], [1, 2, 2]]);
    const listed = added.flatMap((e) => (e.data.members as Array<{ id: string }>).map((m) => m.id));
    expect(listed.sort()).toEqual([...userIds].sort());
  });

  it('Okta requests replayed as recorded yield their events', async () => {
    const dir = await h.directory('okta');
    const w = await buildWorld(h, dir);
    const before = (await logOf(dir.orgId)).length;
    expect((await replay(h, w, fixture('okta/post-user.json'))).status).toBe(201);
    expect((await replay(h, w, fixture('okta/patch-group-rename.json'))).status).toBe(200);
    // Okta re-sends the same rename with every membership change: the second one is no event.
    expect((await replay(h, w, fixture('okta/patch-group-rename.json'))).status).toBe(200);
    expect((await replay(h, w, fixture('okta/patch-group-add-and-remove-members.json'))).status).toBe(200);
    expect((await replay(h, w, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);
    const events = (await waitForTypes(dir.orgId, ['user.deactivated'], 1).then(() => logOf(dir.orgId))).slice(before);
    expect(typesOf(events)).toEqual(['user.created', 'group.updated', 'group.members.removed', 'group.members.added', 'user.deactivated']);
    expect(events[0].data).toMatchObject({ userName: 'okta.create.jdoe@example.com', externalId: '00ujl29u0le5T6Aj10h7', displayName: 'John Doe' });
    expect(events[0].data).not.toHaveProperty('password');
    expect(events[1].data).toMatchObject({ id: w.ids.groupId, displayName: 'Okta Renamed Group', previous: { displayName: expect.stringMatching(/^World Group /) } });
    expect(events[2].data.members).toEqual([{ type: 'user', id: w.ids.member2Id }]);
    expect(events[3].data.members).toEqual([{ type: 'user', id: w.ids.member3Id }]);
    expect(events[4].subject).toEqual({ type: 'user', id: w.ids.userId });
  });

  it('binding a group to a role yields binding.created, then one access.changed per member with exactly the granted permissions', async () => {
    const { dir, api, project } = await orgWithProject();
    const c = h.as(dir);
    const u1 = (await c.post('/Users', newUser('b1@example.com'))).body.id as string;
    const u2 = (await c.post('/Users', newUser('b2@example.com'))).body.id as string;
    const g = (await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Readers', members: [{ value: u1 }, { value: u2 }] })).body.id as string;
    const bound = await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', id: g }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
    expect(bound.status).toBe(201);
    const bindingId = (bound.body.id ?? bound.body.binding?.id) as string;

    const events = (await waitForTypes(dir.orgId, ['access.changed'], 2).then(() => logOf(dir.orgId))).filter((e) => e.type === 'binding.created' || e.type === 'access.changed');
    expect(typesOf(events)).toEqual(['binding.created', 'access.changed', 'access.changed']);
    const [binding, ...changed] = events;
    expect(binding).toMatchObject({
      subject: { type: 'binding', id: bindingId },
      actor: { type: 'adminKey', id: expect.any(String) },
      data: { id: bindingId, principal: { type: 'group', id: g, display: 'Readers' }, scope: { type: 'project', projectId: project }, projectId: project, role: { id: 'preset:project-member', name: 'Project member' } },
    });
    expect(binding.changeId).toEqual(expect.any(String));
    expect(changed.map((e) => e.subject.id).sort()).toEqual([u1, u2].sort());
    for (const e of changed) {
      expect(e.changeId).toBe(binding.changeId);
      expect(e.actor).toEqual({ type: 'system', id: 'propagation' });
      expect(e.data).toEqual({
        principal: { type: 'user', id: e.subject.id },
        scope: { type: 'project', projectId: project },
        granted: memberPerms,
        revoked: [],
        effectiveAt: expect.any(String),
      });
      // Effective when the new document was stored: after the binding was written.
      expect(new Date(e.data.effectiveAt as string).getTime()).toBe(new Date(e.occurredAt).getTime());
      expect(new Date(e.occurredAt).getTime()).toBeGreaterThanOrEqual(new Date(binding.occurredAt).getTime());
    }

    // Re-running the change, even as if its access documents had never been stored, makes no second event.
    const changeId = binding.changeId!;
    await h.c.changeDocs.updateOne({ _id: changeId }, { $set: { status: 'pending', appliedAt: null } });
    const accessDocs = h.c.rbacModels.bindings.db.collection('access_documents');
    const storedBefore = await accessDocs.find({ _id: { $in: [`user-${u1}`, `user-${u2}`] } as never }).toArray();
    await accessDocs.deleteMany({ _id: { $in: [`user-${u1}`, `user-${u2}`] } as never });
    await h.c.pipeline.applier.apply(changeId);
    const again = await logOf(dir.orgId);
    expect(again.filter((e) => e.type === 'access.changed')).toHaveLength(2);
    expect(again.filter((e) => e.type === 'binding.created')).toHaveLength(1);
    expect(storedBefore).toHaveLength(2);

    // Deleting the binding: binding.deleted, then everything revoked per member (still active: access.changed).
    expect((await api.delete(`/orgs/${dir.orgId}/bindings/${bindingId}`)).status).toBeLessThan(300);
    const after = (await waitForTypes(dir.orgId, ['access.changed'], 4).then(() => logOf(dir.orgId))).filter((e) => e.type === 'binding.deleted' || (e.type === 'access.changed' && e.seq > changed[1].seq));
    expect(typesOf(after)).toEqual(['binding.deleted', 'access.changed', 'access.changed']);
    for (const e of after.slice(1)) expect(e.data).toMatchObject({ scope: { type: 'project', projectId: project }, granted: [], revoked: memberPerms });
  });

  it('a user deactivated through SCIM while bound through a group yields user.deactivated, then access.revoked with exactly the role\'s permissions, and no access.changed', async () => {
    const { dir, api, project } = await orgWithProject();
    const c = h.as(dir);
    const u = (await c.post('/Users', newUser('leaver@example.com'))).body.id as string;
    const g = (await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Team', members: [{ value: u }] })).body.id as string;
    expect((await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', id: g }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' })).status).toBe(201);
    await waitForTypes(dir.orgId, ['access.changed'], 1);
    await h.c.rbac.createApiKey(dir.orgId, { projectId: project, ownerType: 'user', ownerId: u, name: 'laptop', permissions: 'all' });

    const res = await c.patch(`/Users/${u}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(res.status).toBe(200);
    const events = about(await waitForTypes(dir.orgId, ['access.revoked'], 1).then(() => logOf(dir.orgId)), u);
    expect(typesOf(events)).toEqual(['user.created', 'access.changed', 'user.deactivated', 'access.revoked']);
    const [deactivated, revoked] = events.slice(2);
    expect(revoked.seq).toBeGreaterThan(deactivated.seq);
    expect(revoked.changeId).toBe(deactivated.changeId);
    expect(revoked.data).toEqual({
      principal: { type: 'user', id: u },
      revoked: [{ scope: { type: 'project', projectId: project }, permissions: memberPerms }],
      revokedKeys: 1,
      effectiveAt: expect.any(String),
    });
    // The keys really were revoked, after the event was recorded.
    await waitUntil('key revoked', async () => (await h.c.rbac.listApiKeys(dir.orgId, { ownerId: u })).every((k) => k.revokedAt !== null), 10_000);

    // Deleting the deactivated user: user.deleted, and nothing more is revoked (nothing is held).
    expect((await c.delete(`/Users/${u}`)).status).toBe(204);
    const later = about(await waitForTypes(dir.orgId, ['user.deleted'], 1).then(() => logOf(dir.orgId)), u);
    expect(typesOf(later)).toEqual(['user.created', 'access.changed', 'user.deactivated', 'access.revoked', 'user.deleted']);
  });

  it('a sweeper re-running a deprovisioning change makes no second event', async () => {
    const { dir, api, project } = await orgWithProject();
    const c = h.as(dir);
    const u = (await c.post('/Users', newUser('swept@example.com'))).body.id as string;
    expect((await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'user', id: u }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' })).status).toBe(201);
    expect((await c.patch(`/Users/${u}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    const first = await waitForTypes(dir.orgId, ['access.revoked'], 1);
    // Back to pending: the sweeper (300 ms grace) queues it again and the worker applies it again.
    await h.c.changeDocs.updateOne({ _id: first[0].changeId! }, { $set: { status: 'pending', appliedAt: null, acceptedAt: new Date(Date.now() - 60_000) } });
    await waitUntil('re-applied', async () => (await h.c.changeDocs.findOne({ _id: first[0].changeId! }).lean())?.status === 'applied', 30_000);
    const events = await logOf(dir.orgId);
    expect(typesOf(events)).toEqual(['user.created', 'binding.created', 'access.changed', 'user.deactivated', 'access.revoked']);
  });

  it('a Bulk request yields the events of each operation, and one organization never sees another\'s events', async () => {
    const a = await h.directory();
    const b: TestDirectory = await h.directory();
    const ca = h.as(a);
    const u = (await ca.post('/Users', newUser('bulk@example.com'))).body.id as string;
    const g = (await ca.post('/Groups', { schemas: [GROUP_URN], displayName: 'Bulk' })).body.id as string;
    const bulk = await ca.post('/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'PATCH', path: `/Groups/${g}`, data: { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] } },
        { method: 'POST', path: '/Users', bulkId: 'n1', data: newUser('bulk2@example.com') },
        { method: 'PATCH', path: `/Groups/${g}`, data: { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:n1' }] }] } },
      ],
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.Operations.map((o: { status: string }) => o.status)).toEqual(['200', '201', '200']);
    const created = bulk.body.Operations[1].location.split('/').pop();
    const eventsA = await waitForTypes(a.orgId, ['group.members.added'], 2);
    expect(eventsA.map((e) => e.data.members)).toEqual([[{ type: 'user', id: u }], [{ type: 'user', id: created }]]);
    expect(eventsA[0]._id).not.toBe(eventsA[1]._id);

    await h.as(b).post('/Users', newUser('other-org@example.com'));
    const logA = await logOf(a.orgId);
    const logB = await logOf(b.orgId);
    expect(logA.every((e) => e.orgId === a.orgId)).toBe(true);
    expect(typesOf(logB)).toEqual(['user.created']);
    expect(logB[0].orgId).toBe(b.orgId);
    expect(await h.c.events.log.get(b.orgId, logA[0]._id)).toBeNull();
  });
});
