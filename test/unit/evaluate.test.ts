import {
  decide,
  decideForKey,
  evaluateAccess,
  type ApiKeyState,
  type BindingInput,
  type EffectiveAccess,
  type EvaluationInput,
  type PolicyInput,
  type RoleInput,
  type Scope,
} from '../../src/rbac/evaluate';
import { PERMISSIONS, permissionById } from '../../src/rbac/catalog';
import type { GrantRef } from '../../src/rbac/access.model';

// -------------------------------------------------------------------------------------------------
// The seed's permission table (seed 001, with the intact rows, Apps and Tunnels of seed 002), typed by
// hand from the seeds and docs/permission-catalog.md. It is deliberately NOT derived from catalog.data.ts:
// a mistake in the catalog data (a wrong column, a missing action) makes the evaluation tests below fail.
// `id` is the permission id prefix (`api.<key>`); the role columns list the actions each preset role holds.
// An area's level is not typed: it is organization exactly when no project role holds anything in it.
// -------------------------------------------------------------------------------------------------

type RoleKey = 'org-owner' | 'org-reader' | 'project-owner' | 'project-member' | 'project-viewer';
type Action = 'read' | 'write' | 'request' | 'use' | 'manage';
type SeedRow = { id: string } & Partial<Record<RoleKey, readonly Action[]>>;

const R: readonly Action[] = ['read'];
const RW: readonly Action[] = ['read', 'write'];
const REQ: readonly Action[] = ['request'];

const SEED_TABLE: Record<string, SeedRow> = {
  'List models': { id: 'api.model', 'org-owner': R, 'org-reader': R, 'project-owner': R, 'project-member': R, 'project-viewer': R },
  Groups: { id: 'api.group', 'org-owner': RW, 'org-reader': R, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Roles: { id: 'api.role', 'org-owner': RW, 'org-reader': R, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Organization Admin': { id: 'api.organization_admin', 'org-owner': RW },
  Usage: { id: 'api.usage', 'org-owner': R },
  'External Keys': { id: 'api.external_key', 'org-owner': RW },
  'IP allowlist': { id: 'api.ip_allowlist', 'org-owner': RW },
  mTLS: { id: 'api.mtls', 'org-owner': RW },
  OIDC: { id: 'api.oidc', 'org-owner': RW },
  'Model capabilities': { id: 'api.model_capability', 'org-owner': REQ, 'org-reader': REQ, 'project-owner': REQ, 'project-member': REQ },
  Assistants: { id: 'api.assistant', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Threads: { id: 'api.thread', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Evals: { id: 'api.eval', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Fine-tuning': { id: 'api.fine_tuning', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Files: { id: 'api.file', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Vector Stores': { id: 'api.vector_store', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW },
  'Responses API': { id: 'api.response', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW },
  Prompts: { id: 'api.prompt', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Webhooks: { id: 'api.webhook', 'org-owner': RW, 'org-reader': R, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Datasets: { id: 'api.dataset', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  Apps: { id: 'api.app', 'org-owner': RW },
  Tunnels: { id: 'api.tunnel', 'org-owner': ['read', 'use', 'manage'] },
  'Project API Keys': { id: 'api.project_api_key', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Project Administration': { id: 'api.project_administration', 'org-owner': RW, 'project-owner': RW },
  Batch: { id: 'api.batch', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Service Accounts': { id: 'api.service_account', 'org-owner': RW, 'project-owner': RW },
  Videos: { id: 'api.video', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW },
  Voices: { id: 'api.voice', 'org-owner': RW, 'org-reader': RW, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
  'Agent Builder': { id: 'api.agent_builder', 'org-owner': RW, 'org-reader': R, 'project-owner': RW, 'project-member': RW, 'project-viewer': R },
};

const ROLE_KEYS: readonly RoleKey[] = ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'];
const ORG_ROLES: ReadonlySet<RoleKey> = new Set<RoleKey>(['org-owner', 'org-reader']);
const PROJECT_ROLES: readonly RoleKey[] = ['project-owner', 'project-member', 'project-viewer'];
const ROLE_NAMES: Record<RoleKey, string> = {
  'org-owner': 'Org owner',
  'org-reader': 'Org reader',
  'project-owner': 'Project owner',
  'project-member': 'Project member',
  'project-viewer': 'Project viewer',
};
const ACTION_ORDER: readonly Action[] = ['read', 'write', 'request', 'use', 'manage'];

type Level = 'organization' | 'project';
interface SeedPermission {
  area: string;
  permission: string;
  level: Level;
  /** The preset roles whose column grants it. */
  grantedBy: ReadonlySet<RoleKey>;
}

/** Every permission of the seed table: one per area and action any column names. */
const SEED_PERMISSIONS: readonly SeedPermission[] = Object.entries(SEED_TABLE).flatMap(([area, row]) => {
  const level: Level = PROJECT_ROLES.some((r) => (row[r] ?? []).length > 0) ? 'project' : 'organization';
  const actions = ACTION_ORDER.filter((a) => ROLE_KEYS.some((r) => (row[r] ?? []).includes(a)));
  return actions.map((action) => ({
    area,
    permission: `${row.id}.${action}`,
    level,
    grantedBy: new Set(ROLE_KEYS.filter((r) => (row[r] ?? []).includes(action))),
  }));
});

const seedPermission = (id: string): SeedPermission => {
  const p = SEED_PERMISSIONS.find((s) => s.permission === id);
  if (!p) throw new Error(`not in the seed table: ${id}`);
  return p;
};

// -------------------------------------------------------------------------------------------------
// Input builders. The organization has live projects p1 and p2, and an archived project p3.
// -------------------------------------------------------------------------------------------------

const ORG: Scope = { type: 'organization' };
const inProject = (projectId: string): Scope => ({ type: 'project', projectId });
const PROJECTS: EvaluationInput['projects'] = [
  { id: 'p1', archived: false },
  { id: 'p2', archived: false },
  { id: 'p3', archived: true },
];
const LIVE_PROJECTS = ['p1', 'p2'];
const USER = { type: 'user', id: 'u1', active: true } as const;

let bindingSeq = 0;
function bind(
  roleId: string,
  scope: Scope,
  principal: { type: BindingInput['principalType']; id: string } = { type: 'user', id: 'u1' },
): BindingInput {
  bindingSeq += 1;
  return { id: `b${bindingSeq}`, principalType: principal.type, principalId: principal.id, scope, roleId };
}

function input(bindings: BindingInput[], over: Partial<EvaluationInput> = {}): EvaluationInput {
  return { principal: USER, groups: [], bindings, roles: {}, policies: {}, projects: PROJECTS, ...over };
}

function customRole(id: string, scope: Scope, permissions: string[], policyIds: string[] = []): RoleInput {
  return { id, name: `Custom ${id}`, scope, permissions, policyIds };
}

const rolesOf = (...roles: RoleInput[]): Record<string, RoleInput> => Object.fromEntries(roles.map((r) => [r.id, r]));
const policiesOf = (...policies: PolicyInput[]): Record<string, PolicyInput> =>
  Object.fromEntries(policies.map((p) => [p.id, p]));

/** Whether `permission` is allowed: at organization level for org-level permissions, else in `projectId`. */
const allowed = (state: EffectiveAccess, permission: string, projectId?: string): boolean =>
  decide(state, permission, projectId).allowed;

/** Everything the state holds, as sorted "org:<perm>" and "<project>:<perm>" strings. */
function holdings(state: EffectiveAccess): string[] {
  return [
    ...state.org.map((g) => `org:${g.permission}`),
    ...state.projects.flatMap((p) => p.permissions.map((g) => `${p.projectId}:${g.permission}`)),
  ].sort();
}

const presetId = (role: RoleKey): string => `preset:${role}`;

// -------------------------------------------------------------------------------------------------

describe('the hand-typed seed table and the catalog describe the same permissions', () => {
  it('has 29 areas and 56 permissions (16 organization-level, 40 project-level)', () => {
    expect(Object.keys(SEED_TABLE)).toHaveLength(29);
    expect(SEED_PERMISSIONS).toHaveLength(56);
    expect(SEED_PERMISSIONS.filter((p) => p.level === 'organization')).toHaveLength(16);
    expect(SEED_PERMISSIONS.filter((p) => p.level === 'project')).toHaveLength(40);
  });

  it('the catalog defines exactly the permissions of the seed table, no more and no fewer', () => {
    expect(PERMISSIONS.map((p) => p.id).sort()).toEqual(SEED_PERMISSIONS.map((p) => p.permission).sort());
  });

  it.each(SEED_PERMISSIONS.map((p) => [p.permission, p.area, p.level] as const))(
    '%s belongs to "%s" at %s level in the catalog',
    (permission, area, level) => {
      expect(permissionById(permission)).toMatchObject({ area, level });
    },
  );
});

// -------------------------------------------------------------------------------------------------
// 1. Every preset role x every permission of the seed table.
// -------------------------------------------------------------------------------------------------

interface PresetRow {
  role: RoleKey;
  area: string;
  permission: string;
  level: Level;
  expected: boolean;
}

const PRESET_ROWS: PresetRow[] = ROLE_KEYS.flatMap((role) =>
  SEED_PERMISSIONS.map((p) => ({ role, area: p.area, permission: p.permission, level: p.level, expected: p.grantedBy.has(role) })),
);

/** The user bound to one preset role: org roles at organization scope, project roles in p1. */
function stateForPreset(role: RoleKey): { state: EffectiveAccess; binding: BindingInput } {
  const binding = bind(presetId(role), ORG_ROLES.has(role) ? ORG : inProject('p1'));
  return { state: evaluateAccess(input([binding])), binding };
}

describe('preset roles grant exactly what the seed table gives them', () => {
  it('covers every role and every permission (5 x 56 rows)', () => {
    expect(PRESET_ROWS).toHaveLength(5 * 56);
  });

  it.each(PRESET_ROWS)('$role | $area | $permission ($level level) -> allowed: $expected', ({ role, permission, level, expected }) => {
    const isOrgRole = ORG_ROLES.has(role);
    const { state, binding } = stateForPreset(role);
    expect(state.isActive).toBe(true);

    const expectedGrant: GrantRef = {
      bindingId: binding.id,
      roleId: presetId(role),
      roleName: ROLE_NAMES[role],
      scope: isOrgRole ? 'organization' : 'project',
      ...(isOrgRole ? {} : { projectId: 'p1' }),
      via: { type: 'user', id: 'u1' },
    };

    if (level === 'organization') {
      // Organization settings: only organization roles bound at organization level can hold them.
      if (!isOrgRole) expect(expected).toBe(false);
      const d = decide(state, permission);
      expect(d).toEqual(
        expected
          ? { allowed: true, reason: 'granted', grants: [expectedGrant] }
          : { allowed: false, reason: 'no_grant', grants: [] },
      );
      // Passing a project does not change an organization-level decision.
      expect(allowed(state, permission, 'p1')).toBe(expected);
      expect(allowed(state, permission, 'p2')).toBe(expected);
      // Nothing organization-level leaks into the project maps.
      for (const p of state.projects) expect(p.permissions.map((g) => g.permission)).not.toContain(permission);
      return;
    }

    // Project-level permission: held in p1 exactly when the table says so.
    const inP1 = decide(state, permission, 'p1');
    expect(inP1).toEqual(
      expected
        ? { allowed: true, reason: 'granted', grants: [expectedGrant] }
        : { allowed: false, reason: 'no_grant', grants: [] },
    );
    // Org roles reach every live project; a project role bound in p1 grants nothing in p2.
    expect(allowed(state, permission, 'p2')).toBe(isOrgRole && expected);
    // The archived project and an unknown project get nothing.
    expect(allowed(state, permission, 'p3')).toBe(false);
    expect(allowed(state, permission, 'p-unknown')).toBe(false);
    // A project-level permission is never listed among organization-level ones.
    expect(state.org.map((g) => g.permission)).not.toContain(permission);
  });

  it.each(ROLE_KEYS)('%s holds nothing beyond its column of the table', (role) => {
    const { state } = stateForPreset(role);
    const column = SEED_PERMISSIONS.filter((p) => p.grantedBy.has(role));
    const projectPerms = column.filter((p) => p.level === 'project').map((p) => p.permission);
    const expected = ORG_ROLES.has(role)
      ? [
          ...column.filter((p) => p.level === 'organization').map((p) => `org:${p.permission}`),
          ...LIVE_PROJECTS.flatMap((projectId) => projectPerms.map((perm) => `${projectId}:${perm}`)),
        ]
      : projectPerms.map((perm) => `p1:${perm}`);
    expect(holdings(state)).toEqual(expected.sort());
  });

  it('an org role bound at organization level lists exactly the live projects', () => {
    expect(stateForPreset('org-reader').state.projects.map((p) => p.projectId)).toEqual(['p1', 'p2']);
    expect(stateForPreset('project-viewer').state.projects.map((p) => p.projectId)).toEqual(['p1']);
  });

  it.each(['org-owner', 'org-reader'] as const)(
    '%s bound at project level (p1) holds no organization-level permission and nothing in p2',
    (role) => {
      const state = evaluateAccess(input([bind(presetId(role), inProject('p1'))]));
      expect(state.org).toEqual([]);
      expect(state.projects.map((p) => p.projectId)).toEqual(['p1']);
      for (const p of SEED_PERMISSIONS.filter((s) => s.level === 'organization')) {
        expect(allowed(state, p.permission)).toBe(false);
      }
    },
  );

  it.each(PROJECT_ROLES)(
    '%s (a project role) bound at organization scope grants nothing in any project nor at organization level',
    (role) => {
      // Seed 001: "Project level roles apply only in that project." A project role has no project when bound
      // at organization scope, so it must not turn into an org-wide role (a project-scoped custom role bound
      // outside its project grants nothing either).
      const state = evaluateAccess(input([bind(presetId(role), ORG)]));
      expect(holdings(state)).toEqual([]);
      expect(allowed(state, 'api.model.read', 'p2')).toBe(false);
    },
  );
});

// -------------------------------------------------------------------------------------------------
// 2. Custom roles.
// -------------------------------------------------------------------------------------------------

describe('custom roles', () => {
  const orgRole = customRole('r-org', ORG, ['api.file.write', 'api.model_capability.request', 'api.usage.read']);
  const p1Role = customRole('r-p1', inProject('p1'), ['api.file.read', 'api.batch.read', 'api.usage.read']);
  const roles = rolesOf(orgRole, p1Role);

  it('an org-scoped custom role bound at organization level grants its org-level permissions and its project permissions in every live project', () => {
    const b = bind('r-org', ORG);
    const state = evaluateAccess(input([b], { roles }));
    expect(holdings(state)).toEqual(
      [
        'org:api.usage.read',
        'p1:api.file.write',
        'p1:api.model_capability.request',
        'p2:api.file.write',
        'p2:api.model_capability.request',
      ].sort(),
    );
    expect(decide(state, 'api.file.write', 'p2').grants).toEqual([
      { bindingId: b.id, roleId: 'r-org', roleName: 'Custom r-org', scope: 'organization', via: { type: 'user', id: 'u1' } },
    ]);
    expect(allowed(state, 'api.file.write', 'p3')).toBe(false); // archived
    expect(allowed(state, 'api.file.read', 'p1')).toBe(false); // not in the role
  });

  it.each(['p1', 'p2'])('an org-scoped custom role can be bound in project %s and grants only there, never org-level', (projectId) => {
    const b = bind('r-org', inProject(projectId));
    const state = evaluateAccess(input([b], { roles }));
    expect(holdings(state)).toEqual([`${projectId}:api.file.write`, `${projectId}:api.model_capability.request`]);
    expect(allowed(state, 'api.usage.read')).toBe(false);
    expect(decide(state, 'api.file.write', projectId).grants).toEqual([
      { bindingId: b.id, roleId: 'r-org', roleName: 'Custom r-org', scope: 'project', projectId, via: { type: 'user', id: 'u1' } },
    ]);
  });

  it('a project-scoped custom role grants only in its own project, and never an org-level permission', () => {
    const state = evaluateAccess(input([bind('r-p1', inProject('p1'))], { roles }));
    expect(holdings(state)).toEqual(['p1:api.batch.read', 'p1:api.file.read']);
    expect(allowed(state, 'api.file.read', 'p1')).toBe(true);
    expect(allowed(state, 'api.file.read', 'p2')).toBe(false);
    expect(allowed(state, 'api.usage.read')).toBe(false);
  });

  it('a project-scoped custom role bound in another project grants nothing', () => {
    const state = evaluateAccess(input([bind('r-p1', inProject('p2'))], { roles }));
    expect(holdings(state)).toEqual([]);
    expect(allowed(state, 'api.file.read', 'p2')).toBe(false);
    expect(allowed(state, 'api.file.read', 'p1')).toBe(false);
  });

  it('a project-scoped custom role bound at organization scope grants nothing anywhere', () => {
    const state = evaluateAccess(input([bind('r-p1', ORG)], { roles }));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('a project-scoped custom role of an archived project grants nothing', () => {
    const archivedRole = customRole('r-p3', inProject('p3'), ['api.file.read']);
    const state = evaluateAccess(input([bind('r-p3', inProject('p3'))], { roles: rolesOf(archivedRole) }));
    expect(holdings(state)).toEqual([]);
  });

  it('a binding to a role that does not exist grants nothing', () => {
    const state = evaluateAccess(input([bind('r-missing', ORG), bind('preset:org-admin', ORG)], { roles }));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('a permission the catalog does not define grants nothing', () => {
    const odd = customRole('r-odd', ORG, ['api.model.write', 'api.files.read', 'api.file.read']);
    const state = evaluateAccess(input([bind('r-odd', ORG)], { roles: rolesOf(odd) }));
    expect(holdings(state)).toEqual(['p1:api.file.read', 'p2:api.file.read']);
  });
});

// -------------------------------------------------------------------------------------------------
// 3. Policies.
// -------------------------------------------------------------------------------------------------

describe('policies', () => {
  const role = customRole('r-pol', inProject('p1'), ['api.model.read'], ['pol-files', 'pol-evals']);
  const polFiles: PolicyInput = { id: 'pol-files', permissions: ['api.file.read', 'api.file.write'] };
  const polEvals: PolicyInput = { id: 'pol-evals', permissions: ['api.eval.read', 'api.model.read'] };

  it('a role grants the union of its own permissions and those of its policies; policy grants record policyId', () => {
    const b = bind('r-pol', inProject('p1'));
    const state = evaluateAccess(input([b], { roles: rolesOf(role), policies: policiesOf(polFiles, polEvals) }));
    expect(holdings(state)).toEqual(['p1:api.eval.read', 'p1:api.file.read', 'p1:api.file.write', 'p1:api.model.read']);

    const base = { bindingId: b.id, roleId: 'r-pol', roleName: 'Custom r-pol', scope: 'project', projectId: 'p1', via: { type: 'user', id: 'u1' } };
    expect(decide(state, 'api.file.write', 'p1').grants).toEqual([{ ...base, policyId: 'pol-files' }]);
    expect(decide(state, 'api.eval.read', 'p1').grants).toEqual([{ ...base, policyId: 'pol-evals' }]);
    // Held directly and through a policy: both are listed, only the policy one names the policy.
    const modelGrants = decide(state, 'api.model.read', 'p1').grants;
    expect(modelGrants).toHaveLength(2);
    expect(modelGrants).toEqual(expect.arrayContaining([base, { ...base, policyId: 'pol-evals' }]));
    expect(allowed(state, 'api.file.write', 'p2')).toBe(false);
  });

  it('editing a policy changes what the role grants on the next evaluation', () => {
    const b = bind('r-pol', inProject('p1'));
    const before = evaluateAccess(input([b], { roles: rolesOf(role), policies: policiesOf(polFiles, polEvals) }));
    expect(allowed(before, 'api.file.write', 'p1')).toBe(true);
    expect(allowed(before, 'api.batch.read', 'p1')).toBe(false);

    const edited: PolicyInput = { id: 'pol-files', permissions: ['api.batch.read'] };
    const after = evaluateAccess(input([b], { roles: rolesOf(role), policies: policiesOf(edited, polEvals) }));
    expect(allowed(after, 'api.file.write', 'p1')).toBe(false);
    expect(allowed(after, 'api.file.read', 'p1')).toBe(false);
    expect(decide(after, 'api.batch.read', 'p1')).toMatchObject({ allowed: true, grants: [{ policyId: 'pol-files' }] });
    expect(holdings(after)).toEqual(['p1:api.batch.read', 'p1:api.eval.read', 'p1:api.model.read']);
  });

  it('a policy the role lists but that no longer exists grants nothing', () => {
    const state = evaluateAccess(input([bind('r-pol', inProject('p1'))], { roles: rolesOf(role), policies: policiesOf(polEvals) }));
    expect(holdings(state)).toEqual(['p1:api.eval.read', 'p1:api.model.read']);
  });

  it('a policy of an org-scoped role bound at organization level reaches every live project and org-level settings', () => {
    const orgRole = customRole('r-org-pol', ORG, [], ['pol-usage']);
    const state = evaluateAccess(
      input([bind('r-org-pol', ORG)], {
        roles: rolesOf(orgRole),
        policies: policiesOf({ id: 'pol-usage', permissions: ['api.usage.read', 'api.dataset.read'] }),
      }),
    );
    expect(holdings(state)).toEqual(['org:api.usage.read', 'p1:api.dataset.read', 'p2:api.dataset.read']);
    expect(decide(state, 'api.usage.read').grants[0]).toMatchObject({ policyId: 'pol-usage', scope: 'organization' });
  });
});

// -------------------------------------------------------------------------------------------------
// 4. Groups.
// -------------------------------------------------------------------------------------------------

describe('group inheritance', () => {
  const DS = { id: 'g-ds', displayName: 'Data Science' };

  it('a binding on a group reaches a member; the grant names the group it came through', () => {
    const b = bind('preset:project-member', inProject('p1'), { type: 'group', id: 'g-ds' });
    const state = evaluateAccess(input([b], { groups: [DS] }));
    expect(decide(state, 'api.file.write', 'p1')).toEqual({
      allowed: true,
      reason: 'granted',
      grants: [
        {
          bindingId: b.id,
          roleId: 'preset:project-member',
          roleName: 'Project member',
          scope: 'project',
          projectId: 'p1',
          via: { type: 'group', id: 'g-ds', display: 'Data Science' },
        },
      ],
    });
    expect(allowed(state, 'api.file.write', 'p2')).toBe(false);
  });

  it('a group without a display name is named by id only', () => {
    const state = evaluateAccess(input([bind('preset:org-reader', ORG, { type: 'group', id: 'g2' })], { groups: [{ id: 'g2' }] }));
    expect(decide(state, 'api.model.read', 'p2').grants[0].via).toEqual({ type: 'group', id: 'g2' });
  });

  it('a user not in the group gets nothing from its bindings', () => {
    const bindings = [bind('preset:org-owner', ORG, { type: 'group', id: 'g-ds' })];
    const state = evaluateAccess(input(bindings, { groups: [{ id: 'g-other' }] }));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it("another user's bindings reach nobody else", () => {
    const state = evaluateAccess(input([bind('preset:org-owner', ORG, { type: 'user', id: 'u2' })]));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('direct and group bindings add up; a permission held both ways lists both grants', () => {
    const direct = bind('preset:project-viewer', inProject('p1'));
    const viaGroup = bind('preset:project-member', inProject('p1'), { type: 'group', id: 'g-ds' });
    const orgViaGroup = bind('preset:org-reader', ORG, { type: 'group', id: 'g-ds' });
    const state = evaluateAccess(input([direct, viaGroup, orgViaGroup], { groups: [DS] }));

    const fileRead = decide(state, 'api.file.read', 'p1');
    expect(fileRead.allowed).toBe(true);
    expect(fileRead.grants.map((g) => [g.bindingId, g.via.type])).toEqual(
      expect.arrayContaining([
        [direct.id, 'user'],
        [viaGroup.id, 'group'],
        [orgViaGroup.id, 'group'],
      ]),
    );
    expect(fileRead.grants).toHaveLength(3);

    // Write comes only through the group bindings; the direct viewer binding never writes.
    const fileWrite = decide(state, 'api.file.write', 'p1');
    expect(fileWrite.grants.map((g) => g.bindingId).sort()).toEqual([viaGroup.id, orgViaGroup.id].sort());
    // In p2 only the org-level group binding applies.
    expect(decide(state, 'api.file.read', 'p2').grants.map((g) => g.bindingId)).toEqual([orgViaGroup.id]);
    // The union never invents an org-level permission no role grants.
    expect(state.org).toEqual([]);
  });

  it('two groups binding the same role both show up', () => {
    const b1 = bind('preset:project-viewer', inProject('p2'), { type: 'group', id: 'g1' });
    const b2 = bind('preset:project-viewer', inProject('p2'), { type: 'group', id: 'g2' });
    const state = evaluateAccess(input([b1, b2], { groups: [{ id: 'g1' }, { id: 'g2' }] }));
    expect(decide(state, 'api.model.read', 'p2').grants.map((g) => g.via.id).sort()).toEqual(['g1', 'g2']);
  });
});

// -------------------------------------------------------------------------------------------------
// 5. Inactive principals.
// -------------------------------------------------------------------------------------------------

describe('inactive principals', () => {
  const everything = [
    bind('preset:org-owner', ORG),
    bind('preset:project-owner', inProject('p1')),
    bind('preset:org-owner', ORG, { type: 'group', id: 'g1' }),
  ];

  it('an inactive user holds nothing, whatever is bound to it', () => {
    const state = evaluateAccess(input(everything, { principal: { ...USER, active: false }, groups: [{ id: 'g1' }] }));
    expect(state).toEqual({ isActive: false, org: [], projects: [] });
    expect(decide(state, 'api.organization_admin.write')).toEqual({ allowed: false, reason: 'inactive', grants: [] });
    expect(decide(state, 'api.model.read', 'p1')).toEqual({ allowed: false, reason: 'inactive', grants: [] });
  });

  it('a state marked inactive is denied even if it still lists grants, and a missing state is inactive', () => {
    const active = evaluateAccess(input(everything));
    expect(allowed(active, 'api.model.read', 'p1')).toBe(true);
    expect(decide({ ...active, isActive: false }, 'api.model.read', 'p1').reason).toBe('inactive');
    expect(decide({ ...active, isActive: false }, 'api.usage.read').reason).toBe('inactive');
    expect(decide(null, 'api.model.read', 'p1')).toEqual({ allowed: false, reason: 'inactive', grants: [] });
  });

  it('an inactive service account holds nothing', () => {
    const state = evaluateAccess(
      input([bind('preset:project-owner', inProject('p1'), { type: 'serviceAccount', id: 'sa1' })], {
        principal: { type: 'serviceAccount', id: 'sa1', active: false, projectId: 'p1' },
      }),
    );
    expect(state).toEqual({ isActive: false, org: [], projects: [] });
  });
});

// -------------------------------------------------------------------------------------------------
// 6. Archived projects.
// -------------------------------------------------------------------------------------------------

describe('archived projects', () => {
  it('grant nothing through org bindings, project bindings or groups', () => {
    const state = evaluateAccess(
      input(
        [
          bind('preset:org-owner', ORG),
          bind('preset:project-owner', inProject('p3')),
          bind('preset:project-member', inProject('p3'), { type: 'group', id: 'g1' }),
        ],
        { groups: [{ id: 'g1' }] },
      ),
    );
    expect(state.projects.map((p) => p.projectId)).toEqual(['p1', 'p2']);
    for (const p of SEED_PERMISSIONS.filter((s) => s.level === 'project')) {
      expect(decide(state, p.permission, 'p3')).toEqual({ allowed: false, reason: 'no_grant', grants: [] });
    }
    // The org owner keeps organization settings and the live projects.
    expect(allowed(state, 'api.organization_admin.write')).toBe(true);
    expect(allowed(state, 'api.project_administration.write', 'p1')).toBe(true);
  });

  it('a project binding for a project that is not in the organization grants nothing', () => {
    const state = evaluateAccess(input([bind('preset:project-owner', inProject('p-elsewhere'))]));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('un-archiving (a new input) brings the access back', () => {
    const bindings = [bind('preset:project-viewer', inProject('p3'))];
    expect(allowed(evaluateAccess(input(bindings)), 'api.file.read', 'p3')).toBe(false);
    const revived = evaluateAccess(input(bindings, { projects: PROJECTS.map((p) => ({ ...p, archived: false })) }));
    expect(allowed(revived, 'api.file.read', 'p3')).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------------
// 7. Service accounts.
// -------------------------------------------------------------------------------------------------

describe('service accounts', () => {
  const SA = { type: 'serviceAccount', id: 'sa1', active: true, projectId: 'p1' } as const;
  const asSA = { type: 'serviceAccount', id: 'sa1' } as const;

  it('bindings in their own project apply', () => {
    const b = bind('preset:project-member', inProject('p1'), asSA);
    const state = evaluateAccess(input([b], { principal: SA }));
    expect(decide(state, 'api.file.write', 'p1')).toEqual({
      allowed: true,
      reason: 'granted',
      grants: [
        {
          bindingId: b.id,
          roleId: 'preset:project-member',
          roleName: 'Project member',
          scope: 'project',
          projectId: 'p1',
          via: { type: 'serviceAccount', id: 'sa1' },
        },
      ],
    });
    expect(holdings(state).every((h) => h.startsWith('p1:'))).toBe(true);
  });

  it('org-level bindings to a service account grant nothing, not even in its own project', () => {
    const state = evaluateAccess(input([bind('preset:org-owner', ORG, asSA)], { principal: SA }));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
    expect(allowed(state, 'api.organization_admin.write')).toBe(false);
    expect(allowed(state, 'api.model.read', 'p1')).toBe(false);
  });

  it('bindings in another project grant nothing', () => {
    const state = evaluateAccess(input([bind('preset:project-owner', inProject('p2'), asSA)], { principal: SA }));
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('an org-scoped custom role bound in its own project applies there only', () => {
    const role = customRole('r-org', ORG, ['api.file.read', 'api.usage.read']);
    const state = evaluateAccess(input([bind('r-org', inProject('p1'), asSA)], { principal: SA, roles: rolesOf(role) }));
    expect(holdings(state)).toEqual(['p1:api.file.read']);
  });

  it('group bindings and user bindings with the same id never reach a service account', () => {
    const state = evaluateAccess(
      input([bind('preset:project-owner', inProject('p1'), { type: 'group', id: 'g1' }), bind('preset:project-owner', inProject('p1'), { type: 'user', id: 'sa1' })], {
        principal: SA,
        groups: [{ id: 'g1' }],
      }),
    );
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });

  it('a service account of an archived project holds nothing', () => {
    const state = evaluateAccess(
      input([bind('preset:project-owner', inProject('p3'), asSA)], { principal: { ...SA, projectId: 'p3' } }),
    );
    expect(state).toEqual({ isActive: true, org: [], projects: [] });
  });
});

// -------------------------------------------------------------------------------------------------
// 8. API keys.
// -------------------------------------------------------------------------------------------------

describe('API keys (decideForKey)', () => {
  const GROUP = { id: 'g-eng', displayName: 'Engineering' };
  const memberViaGroup = bind('preset:project-member', inProject('p1'), { type: 'group', id: 'g-eng' });
  const owner = evaluateAccess(input([memberViaGroup], { groups: [GROUP] }));
  const key = (over: Partial<ApiKeyState> = {}): ApiKeyState => ({ projectId: 'p1', permissions: ['api.model.read'], revoked: false, ...over });

  it('is allowed when the key carries the permission and the owner holds it in the key project', () => {
    const d = decideForKey(key(), owner, 'api.model.read');
    expect(d).toMatchObject({ allowed: true, reason: 'granted' });
    expect(d.grants.map((g) => g.bindingId)).toEqual([memberViaGroup.id]);
    expect(decideForKey(key(), owner, 'api.model.read', 'p1').allowed).toBe(true);
    expect(decideForKey(key({ permissions: 'all' }), owner, 'api.file.write').allowed).toBe(true);
  });

  it('is denied when the key lacks the permission, even if the owner holds it', () => {
    expect(allowed(owner, 'api.file.write', 'p1')).toBe(true);
    expect(decideForKey(key(), owner, 'api.file.write')).toEqual({ allowed: false, reason: 'key_lacks_permission', grants: [] });
  });

  it('is denied when the owner lacks the permission, even if the key carries it', () => {
    for (const permission of ['api.project_administration.write', 'api.service_account.read']) {
      const d = decideForKey(key({ permissions: 'all' }), owner, permission);
      expect(d.allowed).toBe(false);
      expect(d.reason).toBe('owner_no_grant');
      expect(decideForKey(key({ permissions: [permission] }), owner, permission).allowed).toBe(false);
    }
  });

  it('never reaches organization-level permissions: a key belongs to one project', () => {
    const d = decideForKey(key({ permissions: 'all' }), owner, 'api.organization_admin.read');
    expect(d).toEqual({ allowed: false, reason: 'key_project_scoped', grants: [] });
  });

  it('is denied in another project (key_other_project), even when the owner holds the permission there', () => {
    const orgOwner = evaluateAccess(input([bind('preset:org-owner', ORG)]));
    expect(allowed(orgOwner, 'api.model.read', 'p2')).toBe(true);
    expect(decideForKey(key(), orgOwner, 'api.model.read', 'p2')).toEqual({ allowed: false, reason: 'key_other_project', grants: [] });
    expect(decideForKey(key({ permissions: 'all' }), orgOwner, 'api.model.read', 'p2').reason).toBe('key_other_project');
  });

  it('is denied when the key is revoked', () => {
    expect(decideForKey(key({ revoked: true }), owner, 'api.model.read')).toEqual({ allowed: false, reason: 'key_revoked', grants: [] });
    expect(decideForKey(key({ revoked: true, permissions: 'all' }), owner, 'api.model.read', 'p1').allowed).toBe(false);
  });

  it('is denied as soon as the owner leaves the group that gave the permission', () => {
    expect(decideForKey(key(), owner, 'api.model.read').allowed).toBe(true);
    const afterLeaving = evaluateAccess(input([memberViaGroup], { groups: [] }));
    const d = decideForKey(key(), afterLeaving, 'api.model.read');
    expect(d.allowed).toBe(false);
    expect(d.reason.startsWith('owner_')).toBe(true);
    expect(d.reason).toBe('owner_no_grant');
  });

  it('is denied when the owner is inactive or has no access document', () => {
    const inactive = evaluateAccess(input([memberViaGroup], { groups: [GROUP], principal: { ...USER, active: false } }));
    expect(decideForKey(key(), inactive, 'api.model.read')).toMatchObject({ allowed: false, reason: 'owner_inactive' });
    expect(decideForKey(key(), null, 'api.model.read')).toMatchObject({ allowed: false, reason: 'owner_inactive' });
  });

  it('is denied for a permission the catalog does not define', () => {
    const d = decideForKey(key({ permissions: 'all' }), owner, 'api.model.write');
    expect(d.allowed).toBe(false);
  });

  it("accepts the owner's org role in the key's project (org roles apply in every project)", () => {
    const orgReader = evaluateAccess(input([bind('preset:org-reader', ORG)]));
    expect(decideForKey(key({ projectId: 'p2' }), orgReader, 'api.model.read').allowed).toBe(true);
    expect(decideForKey(key({ projectId: 'p3' }), orgReader, 'api.model.read').allowed).toBe(false); // archived
  });

  it('a service-account key follows its service account', () => {
    const sa = { type: 'serviceAccount', id: 'sa1', active: true, projectId: 'p1' } as const;
    const saState = evaluateAccess(input([bind('preset:project-viewer', inProject('p1'), { type: 'serviceAccount', id: 'sa1' })], { principal: sa }));
    expect(decideForKey(key({ permissions: 'all' }), saState, 'api.file.read').allowed).toBe(true);
    expect(decideForKey(key({ permissions: 'all' }), saState, 'api.file.write').reason).toBe('owner_no_grant');
  });

  // Every project-level permission with an all-permissions key in p1, for an owner holding each preset role.
  const KEY_ROWS = ROLE_KEYS.flatMap((role) =>
    SEED_PERMISSIONS.filter((p) => p.level === 'project').map((p) => ({ role, permission: p.permission, expected: p.grantedBy.has(role) })),
  );
  it.each(KEY_ROWS)('all-permissions key in p1, owner $role: $permission -> $expected', ({ role, permission, expected }) => {
    const { state } = stateForPreset(role);
    const d = decideForKey(key({ permissions: 'all' }), state, permission);
    expect(d.allowed).toBe(expected);
    if (!expected) expect(d.reason).toBe('owner_no_grant');
    // A key restricted to something else never allows it.
    expect(decideForKey(key({ permissions: ['api.model.read'] }), state, permission).allowed).toBe(
      expected && permission === 'api.model.read',
    );
  });
});

// -------------------------------------------------------------------------------------------------
// 9. decide() edge cases.
// -------------------------------------------------------------------------------------------------

describe('decide()', () => {
  const orgOwner = evaluateAccess(input([bind('preset:org-owner', ORG)]));

  it.each(['api.model.write', 'api.models.read', 'API.MODEL.READ', 'files:write', '', 'api.tunnel.delete'])(
    'an unknown permission (%j) is denied as unknown_permission',
    (permission) => {
      expect(decide(orgOwner, permission, 'p1')).toEqual({ allowed: false, reason: 'unknown_permission', grants: [] });
      expect(decide(orgOwner, permission)).toEqual({ allowed: false, reason: 'unknown_permission', grants: [] });
      expect(decide(null, permission).reason).toBe('unknown_permission');
    },
  );

  it.each(SEED_PERMISSIONS.filter((p) => p.level === 'project').map((p) => p.permission))(
    'the project-level permission %s needs a project (project_required)',
    (permission) => {
      expect(decide(orgOwner, permission)).toEqual({ allowed: false, reason: 'project_required', grants: [] });
      expect(decide(orgOwner, permission, '')).toEqual({ allowed: false, reason: 'project_required', grants: [] });
    },
  );

  it('an organization-level permission needs no project', () => {
    expect(decide(orgOwner, 'api.usage.read')).toMatchObject({ allowed: true, reason: 'granted' });
    expect(decide(orgOwner, 'api.tunnel.manage')).toMatchObject({ allowed: true, reason: 'granted' });
  });

  it('no grant in the project is no_grant', () => {
    const viewer = evaluateAccess(input([bind('preset:project-viewer', inProject('p1'))]));
    expect(decide(viewer, 'api.file.write', 'p1')).toEqual({ allowed: false, reason: 'no_grant', grants: [] });
    expect(decide(viewer, 'api.file.read', 'p2')).toEqual({ allowed: false, reason: 'no_grant', grants: [] });
    expect(decide(viewer, 'api.usage.read')).toEqual({ allowed: false, reason: 'no_grant', grants: [] });
  });
});

describe('evaluateAccess output', () => {
  it('is deterministic and sorted: permissions and projects in id order, whatever the binding order', () => {
    const bindings = [
      bind('preset:project-viewer', inProject('p2')),
      bind('preset:project-member', inProject('p1')),
      bind('preset:org-owner', ORG),
    ];
    const a = evaluateAccess(input(bindings));
    const b = evaluateAccess(input([...bindings].reverse()));
    expect(a.projects.map((p) => p.projectId)).toEqual(['p1', 'p2']);
    for (const s of [a, b]) {
      const orgIds = s.org.map((g) => g.permission);
      expect(orgIds).toEqual([...orgIds].sort());
      for (const p of s.projects) {
        const ids = p.permissions.map((g) => g.permission);
        expect(ids).toEqual([...ids].sort());
      }
    }
    expect(holdings(a)).toEqual(holdings(b));
  });

  it('does not mutate its input', () => {
    const i = input([bind('preset:org-owner', ORG)], { groups: [{ id: 'g1' }] });
    const copy = JSON.parse(JSON.stringify(i));
    evaluateAccess(i);
    expect(i).toEqual(copy);
  });
});
