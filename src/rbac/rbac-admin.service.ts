import type { AuditActor, AuditLog } from '../audit/audit.service';
import type { PrincipalQueries } from '../directory/principal.queries';
import type { ChangeLog } from '../propagation/change-log';
import type { ChangeKind } from '../propagation/change.model';
import type { Pipeline } from '../propagation/pipeline';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { permissionById } from './catalog';
import { isPresetRoleId, presetRoleById } from './preset-roles';
import type { BindingDoc, PrincipalType, ScopeDoc } from './rbac.models';
import type { RbacStore } from './rbac.service';

/** Who asked, for the audit log and the change record. */
export interface AdminContext {
  orgId: string;
  actor: AuditActor;
  requestId?: string;
}

export interface AdminWrite<T> {
  result: T;
  changeIds: string[];
}

export type RbacAdminService = ReturnType<typeof createRbacAdminService>;

/**
 * Admin writes that can change access: store, record the change, apply it (so the admin's next
 * check already sees it; the queue and sweeper finish anything this misses), and audit.
 */
export function createRbacAdminService(deps: {
  rbac: RbacStore;
  principals: PrincipalQueries;
  changes: ChangeLog;
  pipeline: Pipeline;
  audit: AuditLog;
}) {
  const { rbac, principals, changes, pipeline, audit } = deps;

  async function propagate(
    ctx: AdminContext,
    kind: ChangeKind,
    impact: { userIds?: string[]; groupIds?: string[]; serviceAccountIds?: string[]; wholeOrg?: boolean },
  ): Promise<string[]> {
    const ids = await changes.record({ orgId: ctx.orgId, kind, ...impact, requestId: ctx.requestId });
    await pipeline.applyNow(ctx.orgId, ids);
    return ids;
  }

  async function audited(
    ctx: AdminContext,
    action: string,
    target: { type: string; id: string; display?: string },
    summary: Record<string, unknown>,
    changeId?: string,
  ) {
    await audit.record({ orgId: ctx.orgId, actor: ctx.actor, action, target, summary, requestId: ctx.requestId, changeId });
  }

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

  async function checkScope(orgId: string, scope: ScopeDoc) {
    if (scope.type === 'project') {
      const p = await rbac.getProject(orgId, scope.projectId);
      if (p.archivedAt) throw new InvalidRequest(`project ${p._id} is archived`);
    }
  }

  // --- projects -------------------------------------------------------------------------------
  async function createProject(ctx: AdminContext, name: string) {
    const p = await rbac.createProject(ctx.orgId, name);
    // A new project receives every organization-level binding's project permissions.
    const changeIds = await propagate(ctx, 'binding.changed', { wholeOrg: true });
    await audited(ctx, 'project.created', { type: 'project', id: p._id, display: p.name }, { after: { name: p.name } }, changeIds[0]);
    return { result: p, changeIds };
  }

  async function updateProject(ctx: AdminContext, id: string, patch: { name?: string; archived?: boolean }) {
    const before = await rbac.getProject(ctx.orgId, id);
    const p = await rbac.updateProject(ctx.orgId, id, patch);
    const archivedChanged = Boolean(before.archivedAt) !== Boolean(p.archivedAt);
    const changeIds = archivedChanged ? await propagate(ctx, 'binding.changed', { wholeOrg: true }) : [];
    await audited(
      ctx,
      archivedChanged ? (p.archivedAt ? 'project.archived' : 'project.unarchived') : 'project.renamed',
      { type: 'project', id, display: p.name },
      { before: { name: before.name, archived: Boolean(before.archivedAt) }, after: { name: p.name, archived: Boolean(p.archivedAt) } },
      changeIds[0],
    );
    return { result: p, changeIds };
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

  async function roleExists(orgId: string, roleId: string): Promise<{ scope: ScopeDoc | null }> {
    const preset = presetRoleById(roleId);
    if (preset) return { scope: null };
    const r = await rbac.getRole(orgId, roleId);
    return { scope: r.scope };
  }

  // --- bindings -------------------------------------------------------------------------------
  /**
   * The principal may be named as an IdP group by its SCIM id or by displayName (the mapping an
   * admin sets once), a user by id or userName, or a service account by id.
   */
  async function resolvePrincipal(
    orgId: string,
    p: { type: PrincipalType; id?: string; displayName?: string; userName?: string; directoryId?: string },
  ): Promise<{ type: PrincipalType; id: string; display?: string }> {
    if (p.type === 'group') {
      if (p.id) {
        const g = await principals.groupInOrg(orgId, p.id);
        if (!g) throw new NotFound(`group ${p.id}`);
        return { type: 'group', id: g.id, display: g.displayName };
      }
      const found = await principals.groupsByDisplayName(orgId, p.displayName ?? '', p.directoryId);
      if (found.length === 0) throw new NotFound(`group "${p.displayName}"`);
      if (found.length > 1) throw new Conflict('group', `${found.length} groups are named "${p.displayName}"; bind by id or give directoryId`);
      return { type: 'group', id: found[0].id, display: found[0].displayName };
    }
    if (p.type === 'user') {
      if (p.id) {
        const u = await principals.user(orgId, p.id);
        if (!u) throw new NotFound(`user ${p.id}`);
        return { type: 'user', id: u._id, display: u.userName };
      }
      const found = (await principals.usersByUserName(orgId, p.userName ?? '')).filter((u) => !p.directoryId || u.directoryId === p.directoryId);
      if (found.length === 0) throw new NotFound(`user "${p.userName}"`);
      if (found.length > 1) throw new Conflict('user', `userName "${p.userName}" exists in several directories; bind by id or give directoryId`);
      return { type: 'user', id: found[0]._id, display: found[0].userName };
    }
    const sa = await rbac.getServiceAccount(orgId, p.id ?? '');
    return { type: 'serviceAccount', id: sa._id, display: sa.name };
  }

  async function createBinding(
    ctx: AdminContext,
    input: { principal: Parameters<typeof resolvePrincipal>[1]; scope: ScopeDoc; roleId: string },
  ): Promise<AdminWrite<{ binding: BindingDoc; created: boolean }>> {
    const principal = await resolvePrincipal(ctx.orgId, input.principal);
    await checkScope(ctx.orgId, input.scope);
    const { scope: roleScope } = await roleExists(ctx.orgId, input.roleId);
    const preset = presetRoleById(input.roleId);
    if (preset?.scope === 'project' && input.scope.type !== 'project') {
      throw new InvalidRequest(`${preset.name} is a project role; bind it in a project`);
    }
    if (roleScope?.type === 'project' && (input.scope.type !== 'project' || input.scope.projectId !== roleScope.projectId)) {
      throw new InvalidRequest('this role belongs to one project and can only be bound there');
    }
    if (principal.type === 'serviceAccount') {
      const sa = await rbac.getServiceAccount(ctx.orgId, principal.id);
      if (input.scope.type !== 'project' || input.scope.projectId !== sa.projectId) {
        throw new InvalidRequest('a service account can only be bound in its own project');
      }
    }
    const res = await rbac.createBinding(ctx.orgId, {
      principalType: principal.type,
      principalId: principal.id,
      principalDisplay: principal.display,
      scope: input.scope,
      roleId: input.roleId,
    });
    if (!res.created) return { result: res, changeIds: [] };
    const changeIds = await propagate(ctx, 'binding.changed', impactOf(principal));
    await audited(
      ctx,
      'binding.created',
      { type: 'binding', id: res.binding._id },
      { after: { principal, scope: input.scope, roleId: input.roleId } },
      changeIds[0],
    );
    return { result: res, changeIds };
  }

  async function deleteBinding(ctx: AdminContext, id: string) {
    const b = await rbac.deleteBinding(ctx.orgId, id);
    const changeIds = await propagate(ctx, 'binding.changed', impactOf({ type: b.principalType, id: b.principalId }));
    await audited(
      ctx,
      'binding.deleted',
      { type: 'binding', id },
      { before: { principal: { type: b.principalType, id: b.principalId, display: b.principalDisplay }, scope: b.scope, roleId: b.roleId } },
      changeIds[0],
    );
    return { result: b, changeIds };
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

  function impactOf(p: { type: PrincipalType; id: string }) {
    if (p.type === 'user') return { userIds: [p.id] };
    if (p.type === 'group') return { groupIds: [p.id] };
    return { serviceAccountIds: [p.id] };
  }

  // --- service accounts and keys --------------------------------------------------------------
  async function createServiceAccount(ctx: AdminContext, projectId: string, name: string) {
    await checkScope(ctx.orgId, { type: 'project', projectId });
    const sa = await rbac.createServiceAccount(ctx.orgId, projectId, name);
    await audited(ctx, 'service_account.created', { type: 'serviceAccount', id: sa._id, display: name }, { after: { projectId } });
    return { result: sa, changeIds: [] as string[] };
  }

  async function deleteServiceAccount(ctx: AdminContext, id: string) {
    const sa = await rbac.getServiceAccount(ctx.orgId, id);
    await rbac.deleteServiceAccount(ctx.orgId, id);
    const changeIds = await propagate(ctx, 'binding.changed', { serviceAccountIds: [id] });
    await audited(ctx, 'service_account.deleted', { type: 'serviceAccount', id, display: sa.name }, { before: { projectId: sa.projectId } }, changeIds[0]);
    return { result: null, changeIds };
  }

  async function createApiKey(
    ctx: AdminContext,
    input: { projectId: string; owner: { type: 'user' | 'serviceAccount'; id: string }; name: string; permissions: string[] | 'all' },
  ) {
    await checkScope(ctx.orgId, { type: 'project', projectId: input.projectId });
    if (input.permissions !== 'all') {
      for (const id of input.permissions) {
        const p = permissionById(id);
        if (!p) throw new InvalidRequest(`unknown permission ${id}`);
        if (p.level === 'organization') throw new InvalidRequest(`${id} is organization-level; project keys cannot carry it`);
      }
    }
    if (input.owner.type === 'user') {
      const u = await principals.user(ctx.orgId, input.owner.id);
      if (!u) throw new NotFound(`user ${input.owner.id}`);
      if (!u.active) throw new InvalidRequest('the owner is not active');
    } else {
      const sa = await rbac.getServiceAccount(ctx.orgId, input.owner.id);
      if (sa.projectId !== input.projectId) throw new InvalidRequest('a service account key must be in its own project');
    }
    const { key, secret } = await rbac.createApiKey(ctx.orgId, {
      projectId: input.projectId,
      ownerType: input.owner.type,
      ownerId: input.owner.id,
      name: input.name,
      permissions: input.permissions,
    });
    await audited(ctx, 'api_key.created', { type: 'apiKey', id: key._id, display: input.name }, { after: { projectId: input.projectId, owner: input.owner, permissions: input.permissions } });
    return { result: { key, secret }, changeIds: [] as string[] };
  }

  async function revokeApiKey(ctx: AdminContext, id: string) {
    const key = await rbac.revokeApiKey(ctx.orgId, id, `revoked by ${ctx.actor.type} ${ctx.actor.id}`);
    await audited(ctx, 'api_key.revoked', { type: 'apiKey', id, display: key.name }, {});
    return { result: key, changeIds: [] as string[] };
  }

  return {
    createProject,
    updateProject,
    createPolicy,
    updatePolicy,
    deletePolicy,
    createRole,
    updateRole,
    deleteRole,
    createBinding,
    deleteBinding,
    createServiceAccount,
    deleteServiceAccount,
    createApiKey,
    revokeApiKey,
  };
}
