// What changed between two access documents of one principal, per scope: pure, table-tested in
// test/unit/access-diff.test.ts. The recompute summarizes the stored document before it writes the
// new one, and the access events are built from the difference.
import type { AccessDoc, PermissionGrants } from '../rbac/access.model';

export type AccessScope = { type: 'organization' } | { type: 'project'; projectId: string };

/**
 * The permissions of one access document per scope, each scope's list sorted and joined by spaces.
 * `organization` holds the organization permissions and the project permissions held in every live
 * project (organization-level bindings, stored once as `allProjects`); `project:<id>` holds what
 * project-level bindings grant in that project. So binding a role at organization level is one
 * change of one scope, not one per project.
 */
export interface AccessSummary {
  isActive: boolean;
  /** The stored document's version (0 for none): names the events of the next write. */
  version: number;
  scopes: Record<string, string>;
}

type Summarizable = Pick<AccessDoc, 'isActive' | 'org' | 'projects' | 'allProjects'> & { version?: number };

/**
 * `intern` shares equal strings between summaries: a bulk pass keeps one summary per user of the
 * organization, and most users share a few permission sets (their groups').
 */
export function summarizeAccess(doc: Summarizable | null, intern: (s: string) => string = (s) => s): AccessSummary | null {
  if (!doc) return null;
  const scopes: Record<string, string> = {};
  const put = (key: string, lists: Array<PermissionGrants[] | undefined>) => {
    const perms = new Set<string>();
    for (const list of lists) for (const pg of list ?? []) if (pg.grants?.length !== 0) perms.add(pg.permission);
    if (perms.size) scopes[intern(key)] = intern([...perms].sort().join(' '));
  };
  put('organization', [doc.org, doc.allProjects]);
  for (const p of doc.projects ?? []) put(`project:${p.projectId}`, [p.permissions]);
  return { isActive: Boolean(doc.isActive), version: doc.version ?? 0, scopes };
}

export function scopeOf(key: string): AccessScope {
  return key === 'organization' ? { type: 'organization' } : { type: 'project', projectId: key.slice('project:'.length) };
}

export interface ScopeChange {
  scope: AccessScope;
  granted: string[];
  revoked: string[];
}

export type AccessDifference =
  | { kind: 'none' }
  /** The principal is active and its permissions changed in these scopes. */
  | { kind: 'changed'; scopes: ScopeChange[] }
  /** The principal is no longer active (deactivated, deleted): everything it held, per scope. */
  | { kind: 'revoked'; revoked: Array<{ scope: AccessScope; permissions: string[] }> };

/**
 * The difference from what was stored to what is about to be. What was stored counts whatever its
 * `isActive` says: the instant revoke of a deactivation (access-check.ts revokeUserNow) marks the
 * document inactive and leaves its grants, so the worker that follows still sees what the user held
 * and reports it as revoked. A principal that ends up inactive yields `revoked` (never `changed`),
 * and only if it held something.
 */
export function diffAccess(prev: AccessSummary | null, next: AccessSummary): AccessDifference {
  const before = prev?.scopes ?? {};
  if (!next.isActive) {
    const revoked = Object.keys(before)
      .sort(scopeOrder)
      .map((k) => ({ scope: scopeOf(k), permissions: before[k].split(' ') }));
    return revoked.length ? { kind: 'revoked', revoked } : { kind: 'none' };
  }
  const after = next.scopes;
  const scopes: ScopeChange[] = [];
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(scopeOrder)) {
    if (before[k] === after[k]) continue;
    const was = new Set(before[k] ? before[k].split(' ') : []);
    const is = new Set(after[k] ? after[k].split(' ') : []);
    const granted = [...is].filter((p) => !was.has(p));
    const revoked = [...was].filter((p) => !is.has(p));
    if (granted.length || revoked.length) scopes.push({ scope: scopeOf(k), granted, revoked });
  }
  return scopes.length ? { kind: 'changed', scopes } : { kind: 'none' };
}

/** The organization first, then projects by id. */
function scopeOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'organization') return -1;
  if (b === 'organization') return 1;
  return a < b ? -1 : 1;
}
