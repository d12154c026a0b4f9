import type { AdminContext, AdminWriteSteps } from './admin-write';
import type { RbacStore } from './rbac.service';

/** Project writes: creating, renaming, archiving. */
export function createProjectAdmin(deps: { rbac: Pick<RbacStore, 'createProject' | 'getProject' | 'updateProject'>; steps: AdminWriteSteps }) {
  const { rbac } = deps;
  const { propagate, audited } = deps.steps;

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

  return { createProject, updateProject };
}
