import type { AccessDoc, GrantRef, PermissionGrants } from './access.model';

/**
 * How an access document is stored. In memory a document lists, per permission, the grants behind
 * it; a role of 40 permissions bound once therefore repeats the same grant 40 times, and a project
 * member's document reached 30 KB. FerretDB keeps a type schema beside every value, and reading or
 * writing such a document cost 7 to 8 ms there, the largest part of propagating one change.
 *
 * Stored, each distinct grant appears once (`grants`), and each section lists which grant backs
 * which permissions as one space-separated string: `{ g: 0, p: "api.file.read api.file.write" }`.
 * The same member's document is about a kilobyte. `projects[].projectId` stays queryable.
 * Documents written before this format (no `format`) are read as they are.
 */
export const STORED_FORMAT = 2;

interface GrantSet {
  /** Index into `grants`. */
  g: number;
  /** Permission ids (they contain no spaces), space-separated. */
  p: string;
}

export interface StoredAccess {
  _id: string;
  orgId: string;
  principalType: AccessDoc['principalType'];
  principalId: string;
  userNameKey?: string;
  isActive: boolean;
  changeId: string | null;
  format: typeof STORED_FORMAT;
  grants: GrantRef[];
  org: GrantSet[];
  allProjects: GrantSet[];
  projects: Array<{ projectId: string; sets: GrantSet[] }>;
}

export function encodeAccess(doc: Omit<AccessDoc, 'computedAt' | 'version'>): StoredAccess {
  const grants: GrantRef[] = [];
  const indexOf = new Map<string, number>();
  const section = (list: PermissionGrants[] | undefined): GrantSet[] => {
    const byGrant = new Map<number, string[]>();
    for (const pg of list ?? []) {
      for (const g of pg.grants) {
        const key = grantKey(g);
        let i = indexOf.get(key);
        if (i === undefined) {
          i = grants.push(g) - 1;
          indexOf.set(key, i);
        }
        const perms = byGrant.get(i) ?? [];
        perms.push(pg.permission);
        byGrant.set(i, perms);
      }
    }
    return [...byGrant.entries()].map(([g, perms]) => ({ g, p: perms.join(' ') }));
  };
  return {
    _id: doc._id,
    orgId: doc.orgId,
    principalType: doc.principalType,
    principalId: doc.principalId,
    ...(doc.userNameKey !== undefined ? { userNameKey: doc.userNameKey } : {}),
    isActive: doc.isActive,
    changeId: doc.changeId,
    format: STORED_FORMAT,
    org: section(doc.org),
    allProjects: section(doc.allProjects),
    projects: (doc.projects ?? []).map((p) => ({ projectId: p.projectId, sets: section(p.permissions) })),
    grants,
  };
}

/** The in-memory form, whichever format the document was stored in. */
export function decodeAccess(stored: Record<string, unknown> | null): AccessDoc | null {
  if (!stored) return null;
  if (stored.format !== STORED_FORMAT) return stored as unknown as AccessDoc;
  const s = stored as unknown as StoredAccess & Pick<AccessDoc, 'computedAt' | 'version'>;
  const grants = s.grants ?? [];
  const section = (sets: GrantSet[] | undefined): PermissionGrants[] => {
    const byPermission = new Map<string, GrantRef[]>();
    for (const set of sets ?? []) {
      const grant = grants[set.g];
      if (!grant) continue;
      for (const permission of set.p.split(' ')) {
        if (!permission) continue;
        const list = byPermission.get(permission) ?? [];
        list.push(grant);
        byPermission.set(permission, list);
      }
    }
    return [...byPermission.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([permission, list]) => ({ permission, grants: list }));
  };
  const { format: _f, grants: _g, org, allProjects, projects, ...rest } = s;
  void _f;
  void _g;
  return {
    ...rest,
    org: section(org),
    allProjects: section(allProjects),
    projects: (projects ?? []).map((p) => ({ projectId: p.projectId, permissions: section(p.sets) })),
  };
}

/** Identical grants have identical keys (what the stored form and the in-memory pool share on). */
export function grantKey(g: GrantRef): string {
  return `${g.bindingId}|${g.roleId}|${g.roleName}|${g.scope}|${g.projectId ?? ''}|${g.via?.type ?? ''}|${g.via?.id ?? ''}|${g.via?.display ?? ''}|${g.policyId ?? ''}`;
}
