import { diffAccess, summarizeAccess, type AccessSummary } from '../../src/events/access-diff';
import { accessEventsOf } from '../../src/events/access-events';
import { eventId } from '../../src/events/event-ids';
import type { PermissionGrants } from '../../src/rbac/access.model';

// Written by hand, independently of the catalog: the diff only compares permission ids.
const grant = { bindingId: 'b1', roleId: 'r1', roleName: 'R', scope: 'organization' as const, via: { type: 'user' as const, id: 'u1' } };
const perms = (...ids: string[]): PermissionGrants[] => ids.map((permission) => ({ permission, grants: [grant] }));
const doc = (isActive: boolean, parts: { org?: string[]; all?: string[]; projects?: Record<string, string[]> } = {}, version = 3) => ({
  isActive,
  version,
  org: perms(...(parts.org ?? [])),
  allProjects: perms(...(parts.all ?? [])),
  projects: Object.entries(parts.projects ?? {}).map(([projectId, p]) => ({ projectId, permissions: perms(...p) })),
});
const sum = (...args: Parameters<typeof doc>): AccessSummary => summarizeAccess(doc(...args))!;

describe('summarizing an access document', () => {
  it('puts organization permissions and permissions held in every project in the organization scope, each project apart', () => {
    expect(sum(true, { org: ['api.org.read'], all: ['api.file.read'], projects: { p1: ['api.batch.write'] } })).toEqual({
      isActive: true,
      version: 3,
      scopes: { organization: 'api.file.read api.org.read', 'project:p1': 'api.batch.write' },
    });
  });

  it('leaves out scopes with no permission and permissions with no grant', () => {
    const d = doc(true, { projects: { p1: [] } });
    d.org = [{ permission: 'api.x.read', grants: [] }];
    expect(summarizeAccess(d)).toEqual({ isActive: true, version: 3, scopes: {} });
    expect(summarizeAccess(null)).toBeNull();
  });
});

describe('the difference between two access documents', () => {
  const table: Array<[string, AccessSummary | null, AccessSummary, ReturnType<typeof diffAccess>]> = [
    ['nothing when the permissions are the same', sum(true, { org: ['a.read'] }), sum(true, { org: ['a.read'] }), { kind: 'none' }],
    ['nothing when only the version differs', sum(true, { org: ['a.read'] }, 1), sum(true, { org: ['a.read'] }, 9), { kind: 'none' }],
    ['everything granted for a first document', null, sum(true, { org: ['a.read', 'b.read'] }), { kind: 'changed', scopes: [{ scope: { type: 'organization' }, granted: ['a.read', 'b.read'], revoked: [] }] }],
    ['nothing for a first document that holds nothing', null, sum(true), { kind: 'none' }],
    [
      'granted and revoked per scope, organization first, then projects by id',
      sum(true, { org: ['a.read'], projects: { p2: ['x.read'], p1: ['y.read'] } }),
      sum(true, { org: ['a.read', 'c.read'], projects: { p1: ['y.read', 'z.read'] } }),
      {
        kind: 'changed',
        scopes: [
          { scope: { type: 'organization' }, granted: ['c.read'], revoked: [] },
          { scope: { type: 'project', projectId: 'p1' }, granted: ['z.read'], revoked: [] },
          { scope: { type: 'project', projectId: 'p2' }, granted: [], revoked: ['x.read'] },
        ],
      },
    ],
    [
      'revoked, with everything held, when the principal becomes inactive',
      sum(true, { org: ['a.read'], projects: { p1: ['y.read'] } }),
      sum(false),
      { kind: 'revoked', revoked: [{ scope: { type: 'organization' }, permissions: ['a.read'] }, { scope: { type: 'project', projectId: 'p1' }, permissions: ['y.read'] }] },
    ],
    [
      'revoked from a document the instant revoke marked inactive but left its grants in',
      sum(false, { org: ['a.read'] }),
      sum(false),
      { kind: 'revoked', revoked: [{ scope: { type: 'organization' }, permissions: ['a.read'] }] },
    ],
    ['nothing for an inactive principal that held nothing', sum(false), sum(false), { kind: 'none' }],
    ['nothing when a deactivation is undone before the worker saw it', sum(false, { org: ['a.read'] }), sum(true, { org: ['a.read'] }), { kind: 'none' }],
    ['everything granted again on reactivation', sum(false), sum(true, { org: ['a.read'] }), { kind: 'changed', scopes: [{ scope: { type: 'organization' }, granted: ['a.read'], revoked: [] }] }],
  ];
  it.each(table)('%s', (_name, prev, next, expected) => {
    expect(diffAccess(prev, next)).toEqual(expected);
  });
});

describe('access events of one transition', () => {
  const at = new Date('2024-05-01T10:00:00.000Z');
  const t = (previous: AccessSummary | null, next: AccessSummary) => ({ orgId: 'o1', principal: { type: 'user' as const, id: 'u1' }, directoryId: 'd1', previous, next, effectiveAt: at });

  it('names access.changed by change, principal, scope and the replaced version, one per scope', () => {
    const drafts = accessEventsOf(t(sum(true, { org: ['a.read'] }, 4), sum(true, { projects: { p1: ['y.read'] } })), 'chg1');
    expect(drafts).toEqual([
      {
        _id: eventId('access.changed', 'chg1', 'user:u1', 'organization', 4),
        type: 'access.changed',
        orgId: 'o1',
        directoryId: 'd1',
        subject: { type: 'user', id: 'u1' },
        changeId: 'chg1',
        requestId: null,
        actor: { type: 'system', id: 'propagation' },
        occurredAt: at,
        data: { principal: { type: 'user', id: 'u1' }, scope: { type: 'organization' }, granted: [], revoked: ['a.read'], effectiveAt: '2024-05-01T10:00:00.000Z' },
      },
      expect.objectContaining({
        _id: eventId('access.changed', 'chg1', 'user:u1', 'project:p1', 4),
        data: { principal: { type: 'user', id: 'u1' }, scope: { type: 'project', projectId: 'p1' }, granted: ['y.read'], revoked: [], effectiveAt: '2024-05-01T10:00:00.000Z' },
      }),
    ]);
  });

  it('gives the same ids when the same change is computed again before its document is stored', () => {
    const a = accessEventsOf(t(sum(true, { org: ['a.read'] }), sum(true)), 'chg1').map((d) => d._id);
    const b = accessEventsOf(t(sum(true, { org: ['a.read'] }), sum(true)), 'chg1').map((d) => d._id);
    expect(b).toEqual(a);
    expect(accessEventsOf(t(sum(true), sum(true)), 'chg1')).toEqual([]);
  });

  it('makes one access.revoked (never access.changed) for a principal losing everything, with the keys it revokes', () => {
    const drafts = accessEventsOf(t(sum(false, { org: ['a.read'] }), sum(false)), 'chg2', 2);
    expect(drafts.map((d) => d.type)).toEqual(['access.revoked']);
    expect(drafts[0]._id).toBe(eventId('access.revoked', 'chg2', 'user:u1', 3));
    expect(drafts[0].data).toEqual({ principal: { type: 'user', id: 'u1' }, revoked: [{ scope: { type: 'organization' }, permissions: ['a.read'] }], revokedKeys: 2, effectiveAt: '2024-05-01T10:00:00.000Z' });
  });
});
