import { compactAccess, viewForProject } from '../../src/rbac/access-compaction';
import { decodeAccess, encodeAccess } from '../../src/rbac/access-storage';
import type { AccessDoc } from '../../src/rbac/access.model';
import { evaluateAccess, type EvaluationInput } from '../../src/rbac/evaluate';

/** A user with every kind of grant: org owner directly, project member through a group, a custom role with a policy. */
const input: EvaluationInput = {
  principal: { type: 'user', id: 'u1', active: true },
  groups: [{ id: 'g1', displayName: 'Data-Science' }],
  bindings: [
    { id: 'b1', principalType: 'user', principalId: 'u1', scope: { type: 'organization' }, roleId: 'preset:org-owner' },
    { id: 'b2', principalType: 'group', principalId: 'g1', principalDisplay: 'Data-Science', scope: { type: 'project', projectId: 'p1' }, roleId: 'preset:project-member' },
    { id: 'b3', principalType: 'group', principalId: 'g1', scope: { type: 'project', projectId: 'p2' }, roleId: 'custom-1' },
  ],
  roles: { 'custom-1': { id: 'custom-1', name: 'Uploader', scope: { type: 'organization' }, permissions: ['api.file.write'], policyIds: ['pol-1'] } },
  policies: { 'pol-1': { id: 'pol-1', permissions: ['api.file.read', 'api.batch.write'] } },
  projects: [
    { id: 'p1', archived: false },
    { id: 'p2', archived: false },
  ],
};

function stored(): { doc: Omit<AccessDoc, 'computedAt' | 'version'>; encoded: ReturnType<typeof encodeAccess> } {
  const doc = { _id: 'user-u1', orgId: 'o1', principalType: 'user' as const, principalId: 'u1', userNameKey: 'u1@x', changeId: 'c1', ...compactAccess(evaluateAccess(input)) };
  return { doc, encoded: encodeAccess(doc) };
}

describe('stored access documents', () => {
  it('read back as the same access, for every project and the organization', () => {
    const { doc, encoded } = stored();
    const back = decodeAccess(JSON.parse(JSON.stringify(encoded)))!;
    for (const project of ['p1', 'p2', 'p3', undefined]) {
      for (const live of [true, false]) {
        expect(viewForProject(back, project, live)).toEqual(viewForProject(doc as AccessDoc, project, live));
      }
    }
    expect(back.org).toEqual(doc.org);
    expect(back).toMatchObject({ _id: 'user-u1', orgId: 'o1', isActive: true, userNameKey: 'u1@x', changeId: 'c1' });
  });

  it('store each grant once, so a document is a fraction of its in-memory size', () => {
    const { doc, encoded } = stored();
    expect(new Set(encoded.grants.map((g) => g.bindingId + (g.policyId ?? ''))).size).toBe(encoded.grants.length);
    expect(JSON.stringify(encoded).length).toBeLessThan(JSON.stringify(doc).length / 3);
    // Which projects a document reaches stays queryable as before.
    expect(encoded.projects.map((p) => p.projectId).sort()).toEqual(['p1', 'p2']);
  });

  it('read documents written before the compact format as they are', () => {
    const { doc } = stored();
    expect(decodeAccess(JSON.parse(JSON.stringify(doc)))).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(decodeAccess(null)).toBeNull();
  });

  it('store an inactive user as holding nothing', () => {
    const inactive = compactAccess(evaluateAccess({ ...input, principal: { type: 'user', id: 'u1', active: false } }));
    const back = decodeAccess(JSON.parse(JSON.stringify(encodeAccess({ _id: 'user-u1', orgId: 'o1', principalType: 'user', principalId: 'u1', changeId: null, ...inactive }))))!;
    expect(back).toMatchObject({ isActive: false, org: [], projects: [], allProjects: [] });
  });
});
