import type { Model } from 'mongoose';
import type { PrincipalQueries } from '../directory/principal.queries';
import type { FreshCache } from '../shared/fresh-cache';
import { inParallel } from '../shared/in-parallel';
import type { Store } from '../store/store';
import { summarizeAccess, type AccessSummary } from '../events/access-diff';
import type { AccessTransition } from '../events/access-events';
import { accessDocId, type AccessDoc } from './access.model';
import { compactAccess } from './access-compaction';
import { decodeAccess, encodeAccess } from './access-storage';
import { storeAccess, storeAccessMany } from './access-write';
import { evaluateAccess, type BindingInput, type PolicyInput, type RoleInput } from './evaluate';
import type { RbacStore } from './rbac.service';

export type AccessRecompute = ReturnType<typeof createAccessRecompute>;

type ComputedAccess = Omit<AccessDoc, 'computedAt' | 'version'>;

/**
 * Recompute-and-store, called by the workers (through reconcile.service) and by a check that finds
 * no materialized document yet: load current state, evaluate (pure), store under the sourceAt guard.
 */
export function createAccessRecompute(deps: {
  access: Model<AccessDoc>;
  rbac: Pick<RbacStore, 'bindingsForPrincipals' | 'listBindings' | 'findRole' | 'findPolicy' | 'listProjects' | 'findServiceAccount'>;
  principals: Pick<
    PrincipalQueries,
    'user' | 'groupNesting' | 'groupIdsOfUser' | 'closeOverNesting' | 'usersOfOrg' | 'userMembershipsOfOrg' | 'groupNames'
  >;
  fresh: Pick<FreshCache, 'invalidate'>;
  store: Pick<Store, 'upsertMany' | 'ids'>;
  /**
   * Told of every principal whose permissions are about to change, before the new documents are
   * stored (one call per stored batch): a crash after storing cannot lose what it was told, and a
   * re-run before storing tells the same again. Without it no previous document is read.
   */
  onAccessChanged?: (transitions: AccessTransition[], changeId: string | null) => Promise<void>;
}) {
  const { rbac, principals } = deps;
  const wantsDiff = Boolean(deps.onAccessChanged);

  /** The evaluation inputs for some principals' bindings, or (null) for every binding of the organization. */
  async function inputsFor(orgId: string, principalIds: Array<{ type: 'user' | 'group' | 'serviceAccount'; id: string }> | null) {
    const bindings = principalIds ? await rbac.bindingsForPrincipals(orgId, principalIds) : await rbac.listBindings(orgId);
    const roleIds = [...new Set(bindings.map((b) => b.roleId).filter((id) => !id.startsWith('preset:')))];
    const roles: Record<string, RoleInput> = {};
    const policyIds = new Set<string>();
    for (const id of roleIds) {
      const r = await rbac.findRole(orgId, id);
      if (!r) continue;
      roles[id] = { id: r._id, name: r.name, scope: r.scope, permissions: r.permissions, policyIds: r.policyIds ?? [] };
      for (const p of r.policyIds ?? []) policyIds.add(p);
    }
    const policies: Record<string, PolicyInput> = {};
    for (const id of policyIds) {
      const p = await rbac.findPolicy(orgId, id);
      if (p) policies[id] = { id: p._id, permissions: p.permissions };
    }
    const projects = (await rbac.listProjects(orgId, true)).map((p) => ({ id: p._id, archived: p.archivedAt !== null && p.archivedAt !== undefined }));
    // Stored bindings carry `_id`; grants name their binding by `id`.
    const bindingInputs: BindingInput[] = bindings.map((b) => ({
      id: b._id,
      principalType: b.principalType,
      principalId: b.principalId,
      ...(b.principalDisplay ? { principalDisplay: b.principalDisplay } : {}),
      scope: b.scope,
      roleId: b.roleId,
    }));
    return { bindings: bindingInputs, roles, policies, projects };
  }

  /**
   * Many users of one organization at once (fan-out slices): the organization's bindings, roles,
   * policies and projects are read once for the whole slice instead of once per user.
   */
  async function recomputeUsers(orgId: string, userIds: string[], changeId: string | null = null): Promise<Array<Pick<AccessDoc, 'principalId' | 'isActive'>>> {
    const sourceAt = new Date();
    const orgWide = await inputsFor(orgId, null);
    const nesting = await principals.groupNesting(orgId);
    const found = await inParallel(userIds, PARALLEL_RECOMPUTES, async (userId) => {
      const user = await principals.user(orgId, userId);
      return { userId, user, groupIds: user ? await principals.groupIdsOfUser(nesting, userId) : [] };
    });
    const names = await boundGroupNames(orgId, orgWide.bindings, found.flatMap((f) => f.groupIds));
    const computed = found.map(({ userId, user, groupIds }) => accessFromOrgInputs(orgId, userId, user, groupIds, names, orgWide, changeId));
    const previous = wantsDiff ? await storedSummaries(computed.map((d) => d._id)) : new Map<string, AccessSummary>();
    const directories = new Map(found.map((f) => [f.userId, f.user?.directoryId]));
    await storeMany(computed, sourceAt, previous, directories, changeId);
    return computed;
  }

  /** The stored documents of a slice, summarized (one id lookup for the slice). */
  async function storedSummaries(docIds: string[]): Promise<Map<string, AccessSummary>> {
    const rows = await deps.store.ids.findByIds(deps.access, docIds, {}, STORED_FIELDS);
    return new Map(rows.map((r) => [r._id, summarizeAccess(decodeAccess(r as unknown as Record<string, unknown>))!]));
  }

  async function storeMany(
    docs: ComputedAccess[],
    sourceAt: Date,
    previous: Map<string, AccessSummary>,
    directories: Map<string, string | undefined>,
    changeId: string | null,
  ): Promise<void> {
    const now = new Date();
    if (deps.onAccessChanged) {
      const transitions = docs.flatMap((doc) => transitionOf(doc, previous.get(doc._id) ?? null, now, directories.get(doc.principalId)));
      if (transitions.length) await deps.onAccessChanged(transitions, changeId);
    }
    await storeAccessMany(deps, docs.map((doc) => ({ ...encodeAccess(doc), computedAt: now })), sourceAt);
  }

  /** The transition to tell, or none when the permissions and the active flag are what is stored. */
  function transitionOf(doc: ComputedAccess, previous: AccessSummary | null, at: Date, directoryId?: string): AccessTransition[] {
    const next = summarizeAccess(doc)!;
    if (previous && previous.isActive === next.isActive && sameScopes(previous.scopes, next.scopes)) return [];
    if (!previous && !next.isActive) return [];
    return [{ orgId: doc.orgId, principal: { type: doc.principalType, id: doc.principalId }, ...(directoryId ? { directoryId } : {}), previous, next, effectiveAt: at }];
  }

  /**
   * The organization's stored access documents, summarized, in one streamed query beside the bulk
   * pass's other streams (never a point read per user); equal strings are shared.
   */
  async function storedSummariesOfOrg(orgId: string): Promise<Map<string, AccessSummary>> {
    const out = new Map<string, AccessSummary>();
    const pool = new Map<string, string>();
    const intern = (x: string) => {
      const known = pool.get(x);
      if (known !== undefined) return known;
      pool.set(x, x);
      return x;
    };
    const cursor = deps.access.find({ orgId }, STORED_FIELDS.join(' ')).lean<Record<string, unknown>>().cursor({ batchSize: 2000 });
    for await (const row of cursor) {
      if (row.principalType !== 'user') continue;
      out.set(String(row._id), summarizeAccess(decodeAccess(row), intern)!);
    }
    return out;
  }

  /**
   * A fan-out over a very large group, or over the whole organization, in one pass: the
   * organization's users and user memberships are each read in one streamed query (in parallel),
   * instead of two point reads per user (FerretDB v1 answers `$in` by reading everything anyway).
   * Who is recomputed: `userIds`, every member of `groupIds` through any nesting, and with `wholeOrg`
   * every user. Results are written a chunk at a time, each chunk reported through `onChunk`.
   */
  async function recomputeUsersBulk(
    orgId: string,
    target: { userIds: string[]; groupIds: string[]; wholeOrg: boolean },
    changeId: string | null,
    onChunk: (docs: Array<Pick<AccessDoc, 'principalId' | 'isActive'>>) => Promise<void> = async () => undefined,
  ): Promise<number> {
    const sourceAt = new Date();
    const [orgWide, nesting, usersById, directGroups, previous] = await Promise.all([
      inputsFor(orgId, null),
      principals.groupNesting(orgId),
      principals.usersOfOrg(orgId),
      principals.userMembershipsOfOrg(orgId),
      wantsDiff ? storedSummariesOfOrg(orgId) : Promise.resolve(new Map<string, AccessSummary>()),
    ]);
    const directories = new Map([...usersById.values()].map((u) => [u._id, u.directoryId]));
    const groupIdsByUser = new Map([...directGroups.entries()].map(([u, direct]) => [u, principals.closeOverNesting(nesting, direct)]));
    const targets = new Set(target.userIds);
    if (target.wholeOrg) for (const u of usersById.keys()) targets.add(u);
    if (target.groupIds.length) {
      const via = new Set(target.groupIds);
      for (const [u, groups] of groupIdsByUser) if (groups.some((g) => via.has(g))) targets.add(u);
    }
    const userIds = [...targets];
    const names = await boundGroupNames(orgId, orgWide.bindings, [...new Set(userIds.flatMap((u) => groupIdsByUser.get(u) ?? []))]);
    for (let i = 0; i < userIds.length; i += BULK_CHUNK) {
      const computed = userIds
        .slice(i, i + BULK_CHUNK)
        .map((userId) => accessFromOrgInputs(orgId, userId, usersById.get(userId) ?? null, groupIdsByUser.get(userId) ?? [], names, orgWide, changeId));
      await storeMany(computed, sourceAt, previous, directories, changeId);
      await onChunk(computed);
    }
    return userIds.length;
  }

  /** Level-triggered: reads current state only, so running it twice, late or out of order converges. */
  async function recomputeUser(orgId: string, userId: string, changeId: string | null = null): Promise<ComputedAccess> {
    const sourceAt = new Date();
    const user = await principals.user(orgId, userId);
    const groupIds = user ? await principals.groupIdsOfUser(await principals.groupNesting(orgId), userId) : [];
    const inputs = await inputsFor(orgId, [{ type: 'user', id: userId }, ...groupIds.map((id) => ({ type: 'group' as const, id }))]);
    const groups = groupsWithNames(groupIds, await boundGroupNames(orgId, inputs.bindings, groupIds));
    return store(userAccessDoc(orgId, userId, user, groups, inputs, changeId), sourceAt, user?.directoryId);
  }

  /** Whether any binding names one of these groups or a group they are nested in, directly or further up. */
  async function groupsGrantAnything(orgId: string, groupIds: string[]): Promise<boolean> {
    if (groupIds.length === 0) return false;
    const bound = new Set((await rbac.listBindings(orgId, { principalType: 'group' })).map((b) => b.principalId));
    if (bound.size === 0) return false;
    if (groupIds.some((g) => bound.has(g))) return true;
    return principals.closeOverNesting(await principals.groupNesting(orgId), groupIds).some((g) => bound.has(g));
  }

  /**
   * Names of the user's groups that some binding names (only those can grant anything, and a grant
   * shows the group it came through). A group that no longer exists is left out.
   */
  async function boundGroupNames(orgId: string, bindings: BindingInput[], groupIds: string[]): Promise<Map<string, string>> {
    const bound = new Set(bindings.filter((b) => b.principalType === 'group').map((b) => b.principalId));
    return principals.groupNames(orgId, [...new Set(groupIds.filter((id) => bound.has(id)))]);
  }

  /** One user's access from the organization's inputs: only bindings of the user or of its groups reach it. */
  function accessFromOrgInputs(
    orgId: string,
    userId: string,
    user: { active: boolean; userNameKey: string } | null,
    groupIds: string[],
    names: Map<string, string>,
    orgWide: Awaited<ReturnType<typeof inputsFor>>,
    changeId: string | null,
  ): ComputedAccess {
    const groups = user ? groupsWithNames(groupIds, names) : [];
    const reach = new Set([`user:${userId}`, ...groups.map((g) => `group:${g.id}`)]);
    return userAccessDoc(orgId, userId, user, groups, { ...orgWide, bindings: orgWide.bindings.filter((b) => reach.has(`${b.principalType}:${b.principalId}`)) }, changeId);
  }

  function userAccessDoc(
    orgId: string,
    userId: string,
    user: { active: boolean; userNameKey: string } | null,
    groups: Array<{ id: string; displayName: string }>,
    inputs: Awaited<ReturnType<typeof inputsFor>>,
    changeId: string | null,
  ): ComputedAccess {
    const result = evaluateAccess({ principal: { type: 'user', id: userId, active: user?.active ?? false }, groups, ...inputs });
    return {
      _id: accessDocId('user', userId),
      orgId,
      principalType: 'user',
      principalId: userId,
      ...(user ? { userNameKey: user.userNameKey } : {}),
      ...compactAccess(result),
      changeId,
    };
  }

  async function recomputeServiceAccount(orgId: string, serviceAccountId: string, changeId: string | null = null): Promise<ComputedAccess> {
    const sourceAt = new Date();
    const sa = await rbac.findServiceAccount(orgId, serviceAccountId);
    const inputs = await inputsFor(orgId, [{ type: 'serviceAccount', id: serviceAccountId }]);
    const result = evaluateAccess({
      principal: { type: 'serviceAccount', id: serviceAccountId, active: sa?.isActive ?? false, projectId: sa?.projectId ?? '' },
      groups: [],
      ...inputs,
    });
    return store({
      _id: accessDocId('serviceAccount', serviceAccountId),
      orgId,
      principalType: 'serviceAccount',
      principalId: serviceAccountId,
      ...compactAccess(result),
      changeId,
    }, sourceAt);
  }

  async function store<T extends ComputedAccess>(doc: T, sourceAt: Date, directoryId?: string): Promise<T> {
    const now = new Date();
    if (deps.onAccessChanged) {
      // One extra point read: the document this write replaces.
      const stored = await deps.access.findOne({ _id: doc._id }, STORED_FIELDS.join(' ')).lean<Record<string, unknown>>();
      const transitions = transitionOf(doc, summarizeAccess(decodeAccess(stored)), now, directoryId);
      if (transitions.length) await deps.onAccessChanged(transitions, doc.changeId);
    }
    await storeAccess(deps, { ...encodeAccess(doc), computedAt: now }, sourceAt);
    return doc;
  }

  return { recomputeUser, recomputeUsers, recomputeUsersBulk, recomputeServiceAccount, groupsGrantAnything };
}

const PARALLEL_RECOMPUTES = 4;
const BULK_CHUNK = 1000;
/** What summarizing a stored document needs (both stored formats; see access-storage.ts). */
const STORED_FIELDS = ['_id', 'orgId', 'principalType', 'isActive', 'version', 'format', 'grants', 'org', 'allProjects', 'projects'];

function sameScopes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function groupsWithNames(groupIds: string[], names: Map<string, string>): Array<{ id: string; displayName: string }> {
  return groupIds.filter((id) => names.has(id)).map((id) => ({ id, displayName: names.get(id)! }));
}
