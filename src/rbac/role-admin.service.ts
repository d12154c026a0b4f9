import { Conflict, InvalidRequest } from '../shared/errors';
import type { AdminContext, AdminWriteSteps } from './admin-write';
import { permissionById } from './catalog';
import { isPresetRoleId } from './preset-roles';
import type { ScopeDoc } from './rbac.models';
import type { RbacStore } from './rbac.service';

/** Policy and custom-role writes; a change of their grants reaches only the principals bound to them. */
export function createRoleAdmin(deps: {
  rbac: Pick<
    RbacStore,
    'createPolicy' | 'getPolicy' | 'updatePolicy' | 'deletePolicy' | 'createRole' | 'getRole' | 'listRoles' | 'updateRole' | 'deleteRole' | 'listBindings'
  >;
  steps: AdminWriteSteps;
}) {
  const { rbac } = deps;
  const { propagate, audited, checkScope } = deps.steps;

  /** Custom roles and policies may only carry permissions the catalog marks as custom-role eligible. */
  function checkPermissions(permissions: string[], scope?: ScopeDoc) {
    for (const id of permissions) {
      const p = permissionById(id);
      if (!p) throw new InvalidRequest(`unknown permission ${id}`);
      if (!p.customRoleEligible) throw new InvalidRequest(`${id} cannot be used in custom roles or policies`);
      if (scope?.type === 'project' && p.level === 'organization') {
        throw new InvalidRequest(`${id} is organization-level and cannot be in a project-scoped role`);
      }
    }
  }

  // --- policies -------------------------------------------------------------------------------
  async function createPolicy(ctx: AdminContext, input: { name: string; description?: string; permissions: string[] }) {
    checkPermissions(input.permissions);
    const p = await rbac.createPolicy(ctx.orgId, input);
    await audited(ctx, 'policy.created', { type: 'policy', id: p._id, display: p.name }, { after: { permissions: p.permissions } });
    return { result: p, changeIds: [] as string[] };
  }

  async function updatePolicy(ctx: AdminContext, id: string, patch: { name?: string; description?: string; permissions?: string[] }) {
    if (patch.permissions) checkPermissions(patch.permissions);
    const before = await rbac.getPolicy(ctx.orgId, id);
    const p = await rbac.updatePolicy(ctx.orgId, id, patch);
    const usingRoles = (await rbac.listRoles(ctx.orgId)).filter((r) => r.policyIds?.includes(id)).map((r) => r._id);
    const changeIds = patch.permissions ? await propagate(ctx, 'policy.changed', await impactOfRoles(ctx.orgId, usingRoles)) : [];
    await audited(
      ctx,
      'policy.updated',
      { type: 'policy', id, display: p.name },
      { before: { name: before.name, permissions: before.permissions }, after: { name: p.name, permissions: p.permissions } },
      changeIds[0],
    );
    return { result: p, changeIds };
  }

  async function deletePolicy(ctx: AdminContext, id: string) {
    const before = await rbac.getPolicy(ctx.orgId, id);
    if ((await rbac.listRoles(ctx.orgId)).some((r) => r.policyIds?.includes(id))) {
      throw new Conflict('Policy', 'the policy is used by a role; remove it from the role first');
    }
    await rbac.deletePolicy(ctx.orgId, id);
    await audited(ctx, 'policy.deleted', { type: 'policy', id, display: before.name }, { before: { permissions: before.permissions } });
    return { result: null, changeIds: [] as string[] };
  }

  // --- roles ----------------------------------------------------------------------------------
  async function checkPolicies(orgId: string, policyIds: string[]) {
    for (const id of policyIds) await rbac.getPolicy(orgId, id);
  }

  async function createRole(
    ctx: AdminContext,
    input: { name: string; description?: string; scope: ScopeDoc; permissions: string[]; policyIds: string[] },
  ) {
    checkPermissions(input.permissions, input.scope);
    await checkScope(ctx.orgId, input.scope);
    await checkPolicies(ctx.orgId, input.policyIds);
    const r = await rbac.createRole(ctx.orgId, input);
    await audited(ctx, 'role.created', { type: 'role', id: r._id, display: r.name }, { after: { scope: r.scope, permissions: r.permissions, policyIds: r.policyIds } });
    return { result: r, changeIds: [] as string[] };
  }

  async function updateRole(
    ctx: AdminContext,
    id: string,
    patch: { name?: string; description?: string; permissions?: string[]; policyIds?: string[] },
  ) {
    if (isPresetRoleId(id)) throw new Conflict('Role', 'preset roles cannot be changed');
    const before = await rbac.getRole(ctx.orgId, id);
    if (patch.permissions) checkPermissions(patch.permissions, before.scope);
    if (patch.policyIds) await checkPolicies(ctx.orgId, patch.policyIds);
    const r = await rbac.updateRole(ctx.orgId, id, patch);
    const grantsChanged = patch.permissions !== undefined || patch.policyIds !== undefined;
    const changeIds = grantsChanged ? await propagate(ctx, 'role.changed', await impactOfRoles(ctx.orgId, [id])) : [];
    await audited(
      ctx,
      'role.updated',
      { type: 'role', id, display: r.name },
      {
        before: { name: before.name, permissions: before.permissions, policyIds: before.policyIds },
        after: { name: r.name, permissions: r.permissions, policyIds: r.policyIds },
      },
      changeIds[0],
    );
    return { result: r, changeIds };
  }

  async function deleteRole(ctx: AdminContext, id: string) {
    if (isPresetRoleId(id)) throw new Conflict('Role', 'preset roles cannot be deleted');
    const before = await rbac.getRole(ctx.orgId, id);
    await rbac.deleteRole(ctx.orgId, id);
    await audited(ctx, 'role.deleted', { type: 'role', id, display: before.name }, { before: { permissions: before.permissions } });
    return { result: null, changeIds: [] as string[] };
  }

  /** Only the principals bound to these roles are affected by a change of the roles' grants. */
  async function impactOfRoles(orgId: string, roleIds: string[]) {
    const impact = { userIds: [] as string[], groupIds: [] as string[], serviceAccountIds: [] as string[] };
    for (const roleId of roleIds) {
      for (const b of await rbac.listBindings(orgId, { roleId })) {
        if (b.principalType === 'user') impact.userIds.push(b.principalId);
        else if (b.principalType === 'group') impact.groupIds.push(b.principalId);
        else impact.serviceAccountIds.push(b.principalId);
      }
    }
    return impact;
  }

  return { createPolicy, updatePolicy, deletePolicy, createRole, updateRole, deleteRole };
}
