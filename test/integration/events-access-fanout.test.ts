import { startHarness, type Harness } from '../support/harness';
import { seedUsers, waitUntil } from '../support/seed';
import type { EventDoc } from '../../src/events/event-types';
import { presetRoleById } from '../../src/rbac/preset-roles';
import { permissionById } from '../../src/rbac/catalog';

jest.setTimeout(240_000);

/**
 * access.changed from the recompute paths that handle many users at once: fan-out slices (one id
 * lookup of the previous documents per slice) and the bulk pass (the organization's documents in
 * one streamed read). Exactly one event per user, and none on a re-run.
 */
describe('access events of large fan-outs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.startWorkers();
  });
  afterAll(async () => h.close());

  async function accessChanged(orgId: string, atLeast: number): Promise<EventDoc[]> {
    let got: EventDoc[] = [];
    await waitUntil(`${atLeast} access.changed`, async () => {
      const drafts = await h.c.events.models.drafts.countDocuments({ orgId });
      const pending = await h.c.changeDocs.countDocuments({ orgId, status: 'pending' });
      const all: EventDoc[] = [];
      let after = 0;
      for (;;) {
        const page = await h.c.events.log.list(orgId, { after, limit: 1000 });
        all.push(...(page.events as EventDoc[]));
        if (page.events.length === 0 || page.atEnd) break;
        after = (page.events[page.events.length - 1] as EventDoc).seq;
      }
      got = all.filter((e) => e.type === 'access.changed');
      return drafts === 0 && pending === 0 && got.length >= atLeast;
    }, 180_000, 200);
    return got;
  }

  it('a group binding over 600 members (slices) and a whole-organization change (bulk pass) yield one access.changed per user each, and a re-run none', async () => {
    const dir = await h.directory();
    const { api } = await h.adminKey(dir.orgId);
    const project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Only' })).body.id as string;
    const { userIds, groupId } = await seedUsers(h, dir, 600, { groupName: 'Everyone' });
    const reader = [...presetRoleById('preset:org-reader')!.permissions].sort();
    const projectLevel = reader.filter((p) => permissionById(p)!.level === 'project');
    expect(projectLevel.length).toBeGreaterThan(0);

    const bound = await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', id: groupId }, scope: { type: 'organization' }, roleId: 'preset:org-reader' });
    expect(bound.status).toBe(201);
    const granted = await accessChanged(dir.orgId, 600);
    expect(granted).toHaveLength(600);
    expect(new Set(granted.map((e) => e.subject.id))).toEqual(new Set(userIds));
    for (const e of granted) expect(e.data).toEqual({ principal: { type: 'user', id: e.subject.id }, scope: { type: 'organization' }, granted: reader, revoked: [], effectiveAt: expect.any(String) });

    // The only project archived behind the services' back, then a whole-organization change applied by a worker: the bulk pass.
    await h.c.rbac.updateProject(dir.orgId, project, { archived: true });
    const [changeId] = await h.c.changes.record({ orgId: dir.orgId, kind: 'binding.changed', wholeOrg: true });
    expect(await h.c.pipeline.applier.apply(changeId)).toBe('applied');
    const all = await accessChanged(dir.orgId, 1200);
    expect(all).toHaveLength(1200);
    const revoked = all.filter((e) => e.changeId === changeId);
    expect(revoked).toHaveLength(600);
    expect(new Set(revoked.map((e) => e.subject.id))).toEqual(new Set(userIds));
    for (const e of revoked) expect(e.data).toMatchObject({ scope: { type: 'organization' }, granted: [], revoked: projectLevel });

    // Applied again (as a sweeper would): nothing changed, so nothing more.
    await h.c.changeDocs.updateOne({ _id: changeId }, { $set: { status: 'pending', appliedAt: null } });
    expect(await h.c.pipeline.applier.apply(changeId)).toBe('applied');
    expect(await accessChanged(dir.orgId, 1200)).toHaveLength(1200);
  });
});
