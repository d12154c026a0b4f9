// Effective access, as a pure function over plain data. Everything clever about access lives here
// and is table-tested; loading the inputs and storing the result is access-recompute's job.
import { permissionById } from './catalog';
import { presetRoleById } from './preset-roles';
import type { GrantRef, PermissionGrants } from './access.model';

export type Scope = { type: 'organization' } | { type: 'project'; projectId: string };

export interface RoleInput {
  id: string;
  name: string;
  /** A project-scoped custom role may only be used in its own project. */
  scope: Scope;
  permissions: readonly string[];
  policyIds: readonly string[];
}

export interface PolicyInput {
  id: string;
  permissions: readonly string[];
}

export interface BindingInput {
  id: string;
  principalType: 'user' | 'group' | 'serviceAccount';
  principalId: string;
  principalDisplay?: string;
  scope: Scope;
  roleId: string;
}

export interface EvaluationInput {
  principal:
    | { type: 'user'; id: string; active: boolean }
    | { type: 'serviceAccount'; id: string; active: boolean; projectId: string };
  /** The groups the user belongs to (directly or through nested groups). */
  groups: ReadonlyArray<{ id: string; displayName?: string }>;
  /** Bindings of the principal and of its groups; others are ignored. */
  bindings: readonly BindingInput[];
  /** Custom roles by id; preset roles are known without being passed. */
  roles: Readonly<Record<string, RoleInput>>;
  policies: Readonly<Record<string, PolicyInput>>;
  /** The organization's projects; archived ones grant nothing. */
  projects: ReadonlyArray<{ id: string; archived: boolean }>;
}

export interface EffectiveAccess {
  isActive: boolean;
  org: PermissionGrants[];
  projects: Array<{ projectId: string; permissions: PermissionGrants[] }>;
}

/** Resolves a role id to its permissions, each with the policy it came through (if any). */
function grantsOfRole(
  roleId: string,
  input: EvaluationInput,
): { role: RoleInput; permissions: Array<{ id: string; policyId?: string }>; presetScope?: 'organization' | 'project' } | null {
  const preset = presetRoleById(roleId);
  if (preset) {
    return {
      role: { id: preset.id, name: preset.name, scope: { type: 'organization' }, permissions: preset.permissions, policyIds: [] },
      presetScope: preset.scope,
      permissions: preset.permissions.map((id) => ({ id })),
    };
  }
  const role = input.roles[roleId];
  if (!role) return null;
  const permissions: Array<{ id: string; policyId?: string }> = role.permissions.map((id) => ({ id }));
  for (const policyId of role.policyIds) {
    for (const id of input.policies[policyId]?.permissions ?? []) permissions.push({ id, policyId });
  }
  return { role, permissions };
}

/**
 * The union of every binding that reaches the principal: its own and its groups', at organization
 * level (which reaches every project) and at project level. An inactive principal holds nothing.
 */
export function evaluateAccess(input: EvaluationInput): EffectiveAccess {
  const { principal } = input;
  if (!principal.active) return { isActive: false, org: [], projects: [] };

  const liveProjects = input.projects.filter((p) => !p.archived).map((p) => p.id);
  const live = new Set(liveProjects);
  const groupsById = new Map(input.groups.map((g) => [g.id, g]));
  const org = new Map<string, GrantRef[]>();
  const projects = new Map<string, Map<string, GrantRef[]>>();
  const add = (target: Map<string, GrantRef[]>, permission: string, grant: GrantRef) => {
    const list = target.get(permission);
    if (list) list.push(grant);
    else target.set(permission, [grant]);
  };
  const projectTarget = (projectId: string) => {
    let t = projects.get(projectId);
    if (!t) projects.set(projectId, (t = new Map()));
    return t;
  };

  for (const b of input.bindings) {
    const via = viaOf(b, principal, groupsById);
    if (!via) continue;
    const resolved = grantsOfRole(b.roleId, input);
    if (!resolved) continue;
    const { role, permissions, presetScope } = resolved;
    // Project roles apply only in a project (seed: "Project level roles apply only in that project").
    if (presetScope === 'project' && b.scope.type !== 'project') continue;
    // A project-scoped custom role bound outside its project grants nothing.
    if (role.scope.type === 'project' && (b.scope.type !== 'project' || b.scope.projectId !== role.scope.projectId)) continue;
    if (b.scope.type === 'project' && !live.has(b.scope.projectId)) continue;
    // A service account exists in one project; nothing reaches it elsewhere or at organization level.
    const saProject = principal.type === 'serviceAccount' ? principal.projectId : undefined;
    if (saProject && (b.scope.type !== 'project' || b.scope.projectId !== saProject)) continue;

    for (const p of permissions) {
      const perm = permissionById(p.id);
      if (!perm) continue; // a permission removed from the catalog grants nothing
      const grant: GrantRef = {
        bindingId: b.id,
        roleId: role.id,
        roleName: role.name,
        scope: b.scope.type,
        ...(b.scope.type === 'project' ? { projectId: b.scope.projectId } : {}),
        via,
        ...(p.policyId ? { policyId: p.policyId } : {}),
      };
      if (perm.level === 'organization') {
        // Organization settings are held only through organization-level bindings.
        if (b.scope.type === 'organization') add(org, p.id, grant);
      } else if (b.scope.type === 'organization') {
        for (const projectId of liveProjects) add(projectTarget(projectId), p.id, grant);
      } else {
        add(projectTarget(b.scope.projectId), p.id, grant);
      }
    }
  }

  return {
    isActive: true,
    org: toGrants(org),
    projects: [...projects.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([projectId, perms]) => ({ projectId, permissions: toGrants(perms) })),
  };
}

function viaOf(
  b: BindingInput,
  principal: EvaluationInput['principal'],
  groups: Map<string, { id: string; displayName?: string }>,
): GrantRef['via'] | null {
  if (b.principalType === principal.type && b.principalId === principal.id) return { type: principal.type, id: principal.id };
  if (b.principalType === 'group' && principal.type === 'user' && groups.has(b.principalId)) {
    const g = groups.get(b.principalId)!;
    return { type: 'group', id: g.id, ...(g.displayName ? { display: g.displayName } : {}) };
  }
  return null;
}

function toGrants(m: Map<string, GrantRef[]>): PermissionGrants[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([permission, grants]) => ({ permission, grants }));
}

export interface AccessSubjectState {
  isActive: boolean;
  org: readonly PermissionGrants[];
  projects: ReadonlyArray<{ projectId: string; permissions: readonly PermissionGrants[] }>;
}

export interface Decision {
  allowed: boolean;
  /** Machine-readable reason: granted, no_grant, inactive, unknown_permission, project_required, key_*. */
  reason: string;
  grants: GrantRef[];
}

/** Whether the materialized access holds `permission` (in `projectId` for project-level permissions). */
export function decide(state: AccessSubjectState | null, permission: string, projectId?: string): Decision {
  const perm = permissionById(permission);
  if (!perm) return { allowed: false, reason: 'unknown_permission', grants: [] };
  if (!state || !state.isActive) return { allowed: false, reason: 'inactive', grants: [] };
  if (perm.level === 'organization') {
    const grants = state.org.find((g) => g.permission === permission)?.grants ?? [];
    return { allowed: grants.length > 0, reason: grants.length ? 'granted' : 'no_grant', grants };
  }
  if (!projectId) return { allowed: false, reason: 'project_required', grants: [] };
  const grants = state.projects.find((p) => p.projectId === projectId)?.permissions.find((g) => g.permission === permission)?.grants ?? [];
  return { allowed: grants.length > 0, reason: grants.length ? 'granted' : 'no_grant', grants };
}

export interface ApiKeyState {
  projectId: string;
  permissions: readonly string[] | 'all';
  revoked: boolean;
}

/**
 * A call made with a key is allowed only if the key carries the permission and its owner holds it
 * in that project at that moment (the seed's rule): remove the owner from a group and the key loses it.
 */
export function decideForKey(key: ApiKeyState, owner: AccessSubjectState | null, permission: string, projectId?: string): Decision {
  const perm = permissionById(permission);
  if (!perm) return { allowed: false, reason: 'unknown_permission', grants: [] };
  if (key.revoked) return { allowed: false, reason: 'key_revoked', grants: [] };
  // A key belongs to one project; organization settings are never reachable with it.
  if (perm.level === 'organization') return { allowed: false, reason: 'key_project_scoped', grants: [] };
  const project = projectId ?? key.projectId;
  if (project !== key.projectId) return { allowed: false, reason: 'key_other_project', grants: [] };
  if (key.permissions !== 'all' && !key.permissions.includes(permission)) {
    return { allowed: false, reason: 'key_lacks_permission', grants: [] };
  }
  const ownerDecision = decide(owner, permission, project);
  if (!ownerDecision.allowed) return { ...ownerDecision, reason: `owner_${ownerDecision.reason}` };
  return ownerDecision;
}
