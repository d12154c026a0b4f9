import type { Model } from 'mongoose';
import { Conflict } from '../shared/errors';
import type { FreshCache } from '../shared/fresh-cache';
import { newId } from '../shared/ids';
import { getInOrg, insertUnique, updateUnique } from './org-documents';
import type { ProjectDoc } from './rbac.models';

export type ProjectStore = ReturnType<typeof createProjectStore>;

/** Owner of the projects collection. */
export function createProjectStore(deps: { projects: Model<ProjectDoc>; fresh: Pick<FreshCache, 'read' | 'invalidate'> }) {
  const { projects, fresh } = deps;

  async function createProject(orgId: string, name: string): Promise<ProjectDoc> {
    const doc: ProjectDoc = { _id: newId(), orgId, name, nameKey: name.toLowerCase(), archivedAt: null, createdAt: new Date() };
    return insertUnique(projects, doc, 'Project', `a project named "${name}" already exists`);
  }
  async function getProject(orgId: string, id: string): Promise<ProjectDoc> {
    return getInOrg(projects, orgId, id, 'project');
  }
  /** For access checks: through the cache, so archiving is seen at once everywhere. Read-only result. */
  async function liveProject(orgId: string, id: string): Promise<ProjectDoc | null> {
    const p = await fresh.read('project', id, () => projects.findOne({ _id: id }).lean<ProjectDoc>());
    return p && p.orgId === orgId && !p.archivedAt ? p : null;
  }
  async function listProjects(orgId: string, includeArchived = false): Promise<ProjectDoc[]> {
    return projects
      .find({ orgId, ...(includeArchived ? {} : { archivedAt: null }) })
      .sort({ createdAt: 1 })
      .lean<ProjectDoc[]>();
  }
  async function updateProject(orgId: string, id: string, patch: { name?: string; archived?: boolean }): Promise<ProjectDoc> {
    const set: Record<string, unknown> = {};
    if (patch.name !== undefined) Object.assign(set, { name: patch.name, nameKey: patch.name.toLowerCase() });
    if (patch.archived !== undefined) set.archivedAt = patch.archived ? new Date() : null;
    const p = await updateUnique(projects, { orgId, id, what: 'project' }, { $set: set }, {
      sameName: patch.name !== undefined ? { nameKey: patch.name.toLowerCase() } : null,
      conflict: () => new Conflict('Project', `a project named "${patch.name}" already exists`),
    });
    await fresh.invalidate('project', [id]);
    return p;
  }

  return { createProject, getProject, liveProject, listProjects, updateProject };
}
