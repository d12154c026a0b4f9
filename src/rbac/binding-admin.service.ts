import type { PrincipalQueries } from '../directory/principal.queries';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import type { AdminContext, AdminWrite, AdminWriteSteps } from './admin-write';
import { presetRoleById } from './preset-roles';
import type { BindingDoc, PrincipalType, ScopeDoc } from './rbac.models';
import type { RbacStore } from './rbac.service';
import type { EventRecorder } from '../events/event-recorder';
import { actorOf, bindingEvent, type BindingFacts } from '../events/directory-events';

/** Binding writes: who holds which role where; each changes the access of the one principal it names. */
export function createBindingAdmin(deps: {
  rbac: Pick<RbacStore, 'getRole' | 'getServiceAccount' | 'createBinding' | 'deleteBinding'>;
  principals: Pick<PrincipalQueries, 'groupInOrg' | 'groupsByDisplayName' | 'user' | 'usersByUserName'>;
  steps: AdminWriteSteps;
  events?: Pick<EventRecorder, 'record'>;
}) {
  const { rbac, principals } = deps;

  /**
   * The binding's event, recorded after the binding is stored and its change recorded, and before the
   * change is applied inside the request: so binding.created comes before the access.changed it causes.
   */
  const recordBinding = (ctx: AdminContext, type: 'binding.created' | 'binding.deleted', facts: BindingFacts, at: Date) => async (changeIds: string[]) => {
    await deps.events?.record(bindingEvent({ orgId: ctx.orgId, actor: actorOf(ctx.actor), requestId: ctx.requestId || null, changeId: changeIds[0] ?? null, at }, type, facts));
  };
  const { propagate, audited, checkScope } = deps.steps;

  async function roleExists(orgId: string, roleId: string): Promise<{ scope: ScopeDoc | null; name: string }> {
    const preset = presetRoleById(roleId);
    if (preset) return { scope: null, name: preset.name };
    const r = await rbac.getRole(orgId, roleId);
    return { scope: r.scope, name: r.name };
  }

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

  /**
   * Every rule a new binding must pass, without writing: shared by createBinding and the impact
   * preview (binding-preview.ts), so a preview refuses exactly what the write would refuse.
   */
  async function checkBinding(orgId: string, input: BindingRequest): Promise<{ principal: { type: PrincipalType; id: string; display?: string }; roleName: string }> {
    const principal = await resolvePrincipal(orgId, input.principal);
    await checkScope(orgId, input.scope);
    const { scope: roleScope, name: roleName } = await roleExists(orgId, input.roleId);
    const preset = presetRoleById(input.roleId);
    if (preset?.scope === 'project' && input.scope.type !== 'project') {
      throw new InvalidRequest(`${preset.name} is a project role; bind it in a project`);
    }
    if (roleScope?.type === 'project' && (input.scope.type !== 'project' || input.scope.projectId !== roleScope.projectId)) {
      throw new InvalidRequest('this role belongs to one project and can only be bound there');
    }
    if (principal.type === 'serviceAccount') {
      const sa = await rbac.getServiceAccount(orgId, principal.id);
      if (input.scope.type !== 'project' || input.scope.projectId !== sa.projectId) {
        throw new InvalidRequest('a service account can only be bound in its own project');
      }
    }
    return { principal, roleName };
  }

  async function createBinding(ctx: AdminContext, input: BindingRequest): Promise<AdminWrite<{ binding: BindingDoc; created: boolean }>> {
    const { principal, roleName } = await checkBinding(ctx.orgId, input);
    const res = await rbac.createBinding(ctx.orgId, {
      principalType: principal.type,
      principalId: principal.id,
      principalDisplay: principal.display,
      scope: input.scope,
      roleId: input.roleId,
    });
    if (!res.created) return { result: res, changeIds: [] };
    const facts: BindingFacts = { id: res.binding._id, principal, scope: scopeOf(input.scope), role: { id: input.roleId, name: roleName } };
    const changeIds = await propagate(ctx, 'binding.changed', impactOf(principal), recordBinding(ctx, 'binding.created', facts, new Date()));
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
    const facts: BindingFacts = {
      id,
      principal: { type: b.principalType, id: b.principalId, ...(b.principalDisplay ? { display: b.principalDisplay } : {}) },
      scope: scopeOf(b.scope),
      role: { id: b.roleId, ...(presetRoleById(b.roleId) ? { name: presetRoleById(b.roleId)!.name } : {}) },
    };
    const changeIds = await propagate(ctx, 'binding.changed', impactOf({ type: b.principalType, id: b.principalId }), recordBinding(ctx, 'binding.deleted', facts, new Date()));
    await audited(
      ctx,
      'binding.deleted',
      { type: 'binding', id },
      { before: { principal: { type: b.principalType, id: b.principalId, display: b.principalDisplay }, scope: b.scope, roleId: b.roleId } },
      changeIds[0],
    );
    return { result: b, changeIds };
  }

  return { checkBinding, createBinding, deleteBinding };
}

/** A binding as the admin API takes it: the principal by id or name, the scope, the role. */
export interface BindingRequest {
  principal: { type: PrincipalType; id?: string; displayName?: string; userName?: string; directoryId?: string };
  scope: ScopeDoc;
  roleId: string;
}

function scopeOf(s: ScopeDoc): BindingFacts['scope'] {
  return s.type === 'project' ? { type: 'project', projectId: s.projectId } : { type: 'organization' };
}

function impactOf(p: { type: PrincipalType; id: string }) {
  if (p.type === 'user') return { userIds: [p.id] };
  if (p.type === 'group') return { groupIds: [p.id] };
  return { serviceAccountIds: [p.id] };
}
