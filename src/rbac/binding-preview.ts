// The impact preview of a binding not yet made: who it would reach and which of its permissions
// each of them already holds. A dry run: it reads current memberships and the stored access
// documents and writes nothing (no binding, no change, no access document, no audit entry).
import type { Model } from 'mongoose';
import type { PrincipalQueries } from '../directory/principal.queries';
import { inParallel } from '../shared/in-parallel';
import type { IdLookup } from '../store/id-lookup';
import { summarizeAccess, type AccessSummary } from '../events/access-diff';
import { accessDocId, type AccessDoc } from './access.model';
import { decodeAccess } from './access-storage';
import type { BindingRequest } from './binding-admin.service';
import { evaluateAccess, type PolicyInput, type RoleInput } from './evaluate';
import type { PrincipalType, ScopeDoc } from './rbac.models';
import type { RbacStore } from './rbac.service';

export type BindingPreview = ReturnType<typeof createBindingPreview>;

export interface PreviewedPermission {
  permission: string;
  /** Where the binding grants it: the organization, one project, or (`inEveryProject`) every live project. */
  scope: { type: 'organization' } | { type: 'project'; projectId: string };
  inEveryProject: boolean;
  /** Active members who do not hold it there today and would. */
  gainedBy: number;
  /** Active members who hold it there already (through another binding). */
  alreadyHad: number;
}

export interface BindingImpact {
  principal: { type: PrincipalType; id: string; display?: string };
  role: { id: string; name: string };
  scope: ScopeDoc;
  /** The same binding exists: saving it would change nothing. */
  alreadyBound: boolean;
  /** Users the binding reaches (for a group: its members through any nesting), active or not. */
  users: number;
  /** Of those, deactivated users: they hold nothing while inactive, so they gain nothing now. */
  inactiveUsers: number;
  serviceAccounts: number;
  permissions: PreviewedPermission[];
}

/** Up to this many access documents are point reads; above, one stream of the organization's. */
const POINT_READ_LIMIT = 200;
/** Groups that already grant a previewed permission are read member by member up to this many direct members. */
const HOLDING_GROUPS_READ_LIMIT = 5000;
/** A project id no real project has (ids are generated, never empty-prefixed): stands for "every live project". */
const EVERY_PROJECT = '\u0000every-project';
const SUBJECT = '\u0000preview-subject';
const STORED_FIELDS = '_id orgId principalType isActive version format grants org allProjects projects';

export function createBindingPreview(deps: {
  check: (orgId: string, input: BindingRequest) => Promise<{ principal: BindingImpact['principal']; roleName: string }>;
  access: Model<AccessDoc>;
  rbac: Pick<RbacStore, 'findRole' | 'findPolicy' | 'listProjects' | 'listBindings' | 'findServiceAccount'>;
  principals: Pick<PrincipalQueries, 'userIdsOfGroups' | 'memberCountOf' | 'user' | 'inactiveUserIdsOfOrg'>;
  ids: Pick<IdLookup, 'findByIds'>;
}) {
  const { rbac, principals } = deps;

  async function preview(orgId: string, input: BindingRequest): Promise<BindingImpact> {
    const { principal, roleName } = await deps.check(orgId, input);
    const [granted, projects, alreadyBound] = await Promise.all([grantedBy(orgId, input), liveProjectIds(orgId), isBound(orgId, principal, input)]);

    let subjects: Array<{ isActive: boolean; summary: AccessSummary | null }>;
    let users = 0;
    if (principal.type === 'serviceAccount') {
      const [sa, stored] = await Promise.all([rbac.findServiceAccount(orgId, principal.id), pointReadAccess(orgId, [accessDocId('serviceAccount', principal.id)])]);
      subjects = [{ isActive: sa?.isActive ?? false, summary: stored.get(accessDocId('serviceAccount', principal.id)) ?? null }];
    } else if (principal.type === 'user') {
      const docIds = [accessDocId('user', principal.id)];
      const [stored, active] = await Promise.all([pointReadAccess(orgId, docIds), activeFlags(orgId, [principal.id])]);
      users = 1;
      subjects = [{ isActive: active.get(principal.id) ?? false, summary: stored.get(docIds[0]) ?? null }];
    } else {
      const [memberIds, holders, inactive] = await Promise.all([
        principals.userIdsOfGroups([principal.id]),
        possibleHolders(orgId, granted),
        principals.inactiveUserIdsOfOrg(orgId),
      ]);
      users = memberIds.length;
      // Only members some binding could already give one of these permissions have anything to look up.
      const maybe = holders === 'anyone' ? memberIds : memberIds.filter((id) => holders.has(id));
      const stored = maybe.length <= POINT_READ_LIMIT ? await pointReadAccess(orgId, maybe.map((id) => accessDocId('user', id))) : await streamOrgAccess(orgId);
      const isInactive = new Set(inactive);
      subjects = memberIds.map((id) => ({ isActive: !isInactive.has(id), summary: stored.get(accessDocId('user', id)) ?? null }));
    }

    const permissions = granted.map((g): PreviewedPermission => {
      let alreadyHad = 0;
      let gainedBy = 0;
      for (const s of subjects) {
        if (!s.isActive) continue;
        if (holds(s.summary, g, projects)) alreadyHad += 1;
        else gainedBy += 1;
      }
      return { ...g, gainedBy, alreadyHad };
    });
    return {
      principal,
      role: { id: input.roleId, name: roleName },
      scope: input.scope,
      alreadyBound,
      users,
      inactiveUsers: principal.type === 'serviceAccount' ? 0 : subjects.filter((s) => !s.isActive).length,
      serviceAccounts: principal.type === 'serviceAccount' ? 1 : 0,
      permissions,
    };
  }

  /**
   * What the binding grants, stated by evaluate() itself (so every rule about project roles, archived
   * projects and policies is the one access uses): a subject holding only this binding, in an
   * organization with one extra live project that stands for "every project" of an org-level binding.
   */
  async function grantedBy(orgId: string, input: BindingRequest): Promise<Array<Omit<PreviewedPermission, 'gainedBy' | 'alreadyHad'>>> {
    const roles: Record<string, RoleInput> = {};
    const policies: Record<string, PolicyInput> = {};
    if (!input.roleId.startsWith('preset:')) {
      const r = await rbac.findRole(orgId, input.roleId);
      if (r) {
        roles[r._id] = { id: r._id, name: r.name, scope: r.scope, permissions: r.permissions, policyIds: r.policyIds ?? [] };
        for (const id of r.policyIds ?? []) {
          const p = await rbac.findPolicy(orgId, id);
          if (p) policies[id] = { id: p._id, permissions: p.permissions };
        }
      }
    }
    const scope = input.scope.type === 'project' ? { type: 'project' as const, projectId: input.scope.projectId } : { type: 'organization' as const };
    const sa = input.principal.type === 'serviceAccount';
    const eff = evaluateAccess({
      principal: sa ? { type: 'serviceAccount', id: SUBJECT, active: true, projectId: scope.type === 'project' ? scope.projectId : '' } : { type: 'user', id: SUBJECT, active: true },
      groups: [],
      bindings: [{ id: 'preview', principalType: sa ? 'serviceAccount' : 'user', principalId: SUBJECT, scope, roleId: input.roleId }],
      roles,
      policies,
      projects: [{ id: scope.type === 'project' ? scope.projectId : EVERY_PROJECT, archived: false }],
    });
    const out: Array<Omit<PreviewedPermission, 'gainedBy' | 'alreadyHad'>> = eff.org.map((g) => ({ permission: g.permission, scope: { type: 'organization' }, inEveryProject: false }));
    for (const p of eff.projects) {
      for (const g of p.permissions) {
        out.push(scope.type === 'project' ? { permission: g.permission, scope, inEveryProject: false } : { permission: g.permission, scope: { type: 'organization' }, inEveryProject: true });
      }
    }
    return out;
  }

  async function liveProjectIds(orgId: string): Promise<string[]> {
    return (await rbac.listProjects(orgId, false)).filter((p) => !p.archivedAt).map((p) => p._id);
  }

  async function isBound(orgId: string, principal: { type: PrincipalType; id: string }, input: BindingRequest): Promise<boolean> {
    const same = await rbac.listBindings(orgId, { principalType: principal.type, principalId: principal.id, roleId: input.roleId });
    return same.some((b) => (b.scope.type === 'project' ? input.scope.type === 'project' && b.scope.projectId === input.scope.projectId : input.scope.type === 'organization'));
  }

  async function activeFlags(orgId: string, userIds: string[]): Promise<Map<string, boolean>> {
    const found = await inParallel(userIds, 4, (id) => principals.user(orgId, id));
    return new Map(found.filter((u) => u !== null).map((u) => [u!._id, u!.active]));
  }

  /**
   * The users who could hold one of these permissions today: those named by, or members (through
   * nesting) of a group named by, a binding whose role grants one of them. Every grant comes from a
   * binding, so members outside this set hold none of them, and a group of 50,000 needs its
   * memberships read but not 50,000 access documents (about 11 s more on FerretDB). When the holding
   * groups are themselves large, reading the organization's access documents once is cheaper: 'anyone'.
   */
  async function possibleHolders(orgId: string, granted: Array<{ permission: string }>): Promise<Set<string> | 'anyone'> {
    const wanted = new Set(granted.map((g) => g.permission));
    const byRoleAndScope = new Map<string, Promise<boolean>>();
    const grantsWanted = (roleId: string, scope: ScopeDoc) => {
      const key = `${roleId}|${scope.type === 'project' ? scope.projectId : ''}`;
      if (!byRoleAndScope.has(key)) {
        byRoleAndScope.set(key, grantedBy(orgId, { principal: { type: 'user' }, scope, roleId }).then((rows) => rows.some((r) => wanted.has(r.permission))));
      }
      return byRoleAndScope.get(key)!;
    };
    const userIds: string[] = [];
    const groupIds: string[] = [];
    for (const b of await rbac.listBindings(orgId)) {
      if (b.principalType === 'serviceAccount' || !(await grantsWanted(b.roleId, b.scope))) continue;
      (b.principalType === 'user' ? userIds : groupIds).push(b.principalId);
    }
    if (groupIds.length && (await principals.memberCountOf(groupIds)) > HOLDING_GROUPS_READ_LIMIT) return 'anyone';
    return new Set([...userIds, ...(groupIds.length ? await principals.userIdsOfGroups(groupIds) : [])]);
  }

  async function pointReadAccess(orgId: string, docIds: string[]): Promise<Map<string, AccessSummary>> {
    const out = new Map<string, AccessSummary>();
    for (const row of await deps.ids.findByIds(deps.access, docIds, { orgId }, STORED_FIELDS.split(' '))) {
      out.set(String(row._id), summarizeAccess(decodeAccess(row as unknown as Record<string, unknown>))!);
    }
    return out;
  }

  /**
   * The organization's user access documents in one streamed query (top-level equality, which
   * FerretDB pushes down), never `$in` over a member list (FerretDB reads everything for it).
   * Summaries share equal strings: members of one group mostly hold the same permission sets.
   */
  async function streamOrgAccess(orgId: string): Promise<Map<string, AccessSummary>> {
    const out = new Map<string, AccessSummary>();
    const pool = new Map<string, string>();
    const intern = (x: string) => pool.get(x) ?? (pool.set(x, x), x);
    const cursor = deps.access.find({ orgId }, STORED_FIELDS).lean<Record<string, unknown>>().cursor({ batchSize: 2000 });
    for await (const row of cursor) {
      if (row.principalType === 'user') out.set(String(row._id), summarizeAccess(decodeAccess(row), intern)!);
    }
    return out;
  }

  return { preview };
}

/**
 * Whether a stored summary holds the permission where the binding would grant it. The summary's
 * `organization` scope holds organization permissions and those held in every live project; a
 * project's own scope holds what project-level bindings grant there.
 */
function holds(summary: AccessSummary | null, g: Omit<PreviewedPermission, 'gainedBy' | 'alreadyHad'>, liveProjects: string[]): boolean {
  if (!summary || !summary.isActive) return false;
  const has = (key: string) => (summary.scopes[key] ?? '').split(' ').includes(g.permission);
  if (has('organization')) return true;
  if (g.scope.type === 'project') return has(`project:${g.scope.projectId}`);
  // Held in every live project one by one (project bindings in each) counts as already had too.
  return g.inEveryProject && liveProjects.length > 0 && liveProjects.every((p) => has(`project:${p}`));
}
