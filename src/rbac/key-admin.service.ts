import type { PrincipalQueries } from '../directory/principal.queries';
import { InvalidRequest, NotFound } from '../shared/errors';
import type { AdminContext, AdminWriteSteps } from './admin-write';
import { permissionById } from './catalog';
import type { RbacStore } from './rbac.service';

/** Service accounts and the project API keys of users and service accounts. */
export function createKeyAdmin(deps: {
  rbac: Pick<RbacStore, 'createServiceAccount' | 'getServiceAccount' | 'deleteServiceAccount' | 'createApiKey' | 'revokeApiKey'>;
  principals: Pick<PrincipalQueries, 'user'>;
  steps: AdminWriteSteps;
}) {
  const { rbac, principals } = deps;
  const { propagate, audited, checkScope } = deps.steps;

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

  return { createServiceAccount, deleteServiceAccount, createApiKey, revokeApiKey };
}
