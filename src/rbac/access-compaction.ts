import type { AccessDoc, GrantRef, PermissionGrants } from './access.model';
import type { AccessSubjectState, EffectiveAccess } from './evaluate';
import { grantKey } from './access-storage';

/**
 * Grants from organization-level bindings are the same in every live project. Stored once (as
 * `allProjects`) instead of once per project, an org owner's access document in an organization of
 * 1,000 projects stays a few kilobytes instead of megabytes (MongoDB caps a document at 16 MB).
 */
export function compactAccess(eff: EffectiveAccess): Pick<AccessDoc, 'isActive' | 'org' | 'projects' | 'allProjects'> {
  const everywhere = new Map<string, PermissionGrants>();
  const projects = [];
  for (const p of eff.projects) {
    const own: PermissionGrants[] = [];
    for (const g of p.permissions) {
      const fromOrg = g.grants.filter((r) => r.scope === 'organization');
      const fromProject = g.grants.filter((r) => r.scope !== 'organization');
      if (fromOrg.length && !everywhere.has(g.permission)) everywhere.set(g.permission, { permission: g.permission, grants: fromOrg });
      if (fromProject.length) own.push({ permission: g.permission, grants: fromProject });
    }
    if (own.length) projects.push({ projectId: p.projectId, permissions: own });
  }
  return {
    isActive: eff.isActive,
    org: eff.org,
    allProjects: [...everywhere.values()].sort((a, b) => (a.permission < b.permission ? -1 : 1)),
    projects,
  };
}

/**
 * The access of a stored document as evaluate() would state it for one project: its own grants plus
 * the organization-level ones when the project is live (archived or unknown projects get none).
 */
export function viewForProject(doc: AccessDoc, projectId: string | undefined, projectIsLive: boolean): AccessSubjectState {
  if (!projectId) return { isActive: doc.isActive, org: doc.org ?? [], projects: [] };
  const own = doc.projects?.find((p) => p.projectId === projectId)?.permissions ?? [];
  const inherited = projectIsLive ? (doc.allProjects ?? []) : [];
  const merged = new Map<string, PermissionGrants>();
  for (const g of [...own, ...inherited]) {
    const prev = merged.get(g.permission);
    merged.set(g.permission, { permission: g.permission, grants: [...(prev?.grants ?? []), ...g.grants] });
  }
  return {
    isActive: doc.isActive,
    org: doc.org ?? [],
    projects: merged.size ? [{ projectId, permissions: [...merged.values()].sort((a, b) => (a.permission < b.permission ? -1 : 1)) }] : [],
  };
}

/**
 * For documents kept in memory: a grant (binding, role, group) usually backs many permissions and
 * many members of the same group, so identical grants are made one shared object. This took the
 * cache of a 10,000-user organization from most of a gigabyte to a fraction of it. The result is
 * read-only, like everything the cache returns.
 */
export function shareGrants(doc: AccessDoc, pool: Map<string, GrantRef>): AccessDoc {
  if (pool.size > 100_000) pool.clear();
  const share = (list: PermissionGrants[] | undefined) =>
    list?.forEach((pg) => {
      pg.grants = pg.grants.map((g) => {
        const k = grantKey(g);
        const known = pool.get(k);
        if (known) return known;
        pool.set(k, g);
        return g;
      });
    });
  share(doc.org);
  share(doc.allProjects);
  doc.projects?.forEach((p) => share(p.permissions));
  return doc;
}
