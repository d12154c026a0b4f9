import type { Model } from 'mongoose';
import type { PrincipalQueries } from '../directory/principal.queries';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { accessDocId, type AccessDoc, type GrantRef } from './access.model';
import { UPDATE_SHAPE, upsertById, upsertManyById } from '../shared/upsert';
import type { MongoBackend } from '../shared/id-lookup';
import { inParallel } from '../shared/in-parallel';
import type { FreshCache } from '../shared/fresh-cache';
import { decodeAccess, encodeAccess } from './access-storage';
import { compactAccess, shareGrants, viewForProject } from './access-compaction';
import { permissionById } from './catalog';
import { decide, decideForKey, evaluateAccess, type BindingInput, type Decision, type PolicyInput, type RoleInput } from './evaluate';
import type { ApiKeyDoc } from './rbac.models';
import type { RbacStore } from './rbac.service';

export type AccessSubject =
  | { userId: string }
  | { userName: string }
  | { serviceAccountId: string }
  | { apiKey: string }
  | { apiKeyId: string };

export interface CheckRequest {
  subject: AccessSubject;
  permission: string;
  projectId?: string;
}

export interface CheckResult extends Decision {
  subject: { type: 'user' | 'serviceAccount' | 'apiKey'; id: string };
  /** The access document version (and the change it is current through) the answer was based on. */
  stateVersion: number | null;
  changeId: string | null;
}

export type AccessService = ReturnType<typeof createAccessService>;

/**
 * Recompute-and-store (called by the workers, and by the admin API directly for now) and the access
 * check itself, which reads one materialized document per subject.
 */
export function createAccessService(deps: {
  access: Model<AccessDoc>;
  rbac: RbacStore;
  principals: PrincipalQueries;
  /** Answers checks from memory; every write below invalidates what it changed on every instance. */
  fresh: FreshCache;
  backend: MongoBackend;
  log: Logger;
}) {
  const { access, rbac, principals, fresh } = deps;
  const grantPool = new Map<string, GrantRef>();

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
    await storeMany(computed, sourceAt);
    return computed;
  }

  async function storeMany(docs: Array<Omit<AccessDoc, 'computedAt' | 'version'>>, sourceAt: Date): Promise<void> {
    const now = new Date();
    await upsertManyById(access, docs.map((doc) => ({ ...encodeAccess(doc), computedAt: now, sourceAt })), UPDATE_SHAPE[deps.backend], readNoLaterThan(sourceAt));
    await fresh.invalidate('access', docs.map((doc) => doc._id));
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
    const [orgWide, nesting, usersById, directGroups] = await Promise.all([
      inputsFor(orgId, null),
      principals.groupNesting(orgId),
      principals.usersOfOrg(orgId),
      principals.userMembershipsOfOrg(orgId),
    ]);
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
      await storeMany(computed, sourceAt);
      await onChunk(computed);
    }
    return userIds.length;
  }

  /** Level-triggered: reads current state only, so running it twice, late or out of order converges. */
  async function recomputeUser(orgId: string, userId: string, changeId: string | null = null): Promise<Omit<AccessDoc, 'computedAt' | 'version'>> {
    const sourceAt = new Date();
    const user = await principals.user(orgId, userId);
    const groupIds = user ? await principals.groupIdsOfUser(await principals.groupNesting(orgId), userId) : [];
    const inputs = await inputsFor(orgId, [{ type: 'user', id: userId }, ...groupIds.map((id) => ({ type: 'group' as const, id }))]);
    const groups = groupsWithNames(groupIds, await boundGroupNames(orgId, inputs.bindings, groupIds));
    return store(userAccessDoc(orgId, userId, user, groups, inputs, changeId), sourceAt);
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
  ): Omit<AccessDoc, 'computedAt' | 'version'> {
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
  ): Omit<AccessDoc, 'computedAt' | 'version'> {
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

  async function recomputeServiceAccount(orgId: string, serviceAccountId: string, changeId: string | null = null): Promise<Omit<AccessDoc, 'computedAt' | 'version'>> {
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

  async function store<T extends Omit<AccessDoc, 'computedAt' | 'version'>>(doc: T, sourceAt: Date): Promise<T> {
    await upsertById(access, doc._id, { ...withoutId(encodeAccess(doc)), computedAt: new Date(), sourceAt }, readNoLaterThan(sourceAt));
    await fresh.invalidate('access', [doc._id]);
    return doc;
  }

  async function readBack(id: string): Promise<AccessDoc | null> {
    return decodeAccess(await access.findOne({ _id: id }).lean<Record<string, unknown>>());
  }

  /**
   * Deprovisioning must not wait for propagation: the directory calls this before it stores
   * `active=false` or deletes the user, so checks deny from that moment on every instance.
   */
  async function revokeUserNow(orgId: string, userId: string): Promise<void> {
    const id = accessDocId('user', userId);
    const now = new Date();
    await upsertById(access, id, { orgId, principalType: 'user', principalId: userId, isActive: false, computedAt: now, sourceAt: now }, readNoLaterThan(now));
    await fresh.invalidate('access', [id]);
  }

  /** The directory's word on a user (active, or gone), through the cache; the directory invalidates it on every change. */
  async function userStatus(orgId: string, userId: string) {
    const u = await fresh.read('user', userId, () => principals.user(orgId, userId));
    return u && u.orgId === orgId ? u : null;
  }

  /** Called by the directory after it stored a user's activation, deactivation or deletion. */
  async function userStatusChanged(userId: string): Promise<void> {
    await fresh.invalidate('user', [userId]);
  }

  async function stateOf(type: 'user' | 'serviceAccount', orgId: string, id: string): Promise<AccessDoc | null> {
    const docId = accessDocId(type, id);
    const [doc, user] = await Promise.all([
      fresh.read('access', docId, async () => {
        const found = decodeAccess(await access.findOne({ _id: docId }).lean<Record<string, unknown>>());
        return found && fresh.enabled ? shareGrants(found, grantPool) : found;
      }),
      type === 'user' ? userStatus(orgId, id) : Promise.resolve(null),
    ]);
    if (doc) {
      if (doc.orgId !== orgId) return null;
      // The check itself sees the user's status, so a deactivation or deletion denies at once, even if a
      // recompute that read the user a moment before it is still writing an active document.
      return type === 'user' && doc.isActive && !user?.active ? { ...doc, isActive: false } : doc;
    }
    // Not materialized yet (created moments ago): compute it now rather than answer from nothing.
    if (type === 'user') return user ? readBack((await recomputeUser(orgId, id))._id) : null;
    return (await rbac.findServiceAccount(orgId, id)) ? readBack((await recomputeServiceAccount(orgId, id))._id) : null;
  }

  async function resolveUserName(orgId: string, userName: string): Promise<string | null> {
    const found = await principals.usersByUserName(orgId, userName);
    if (found.length > 1) {
      throw new Conflict('user', `userName ${userName} exists in ${found.length} directories of this organization; check by user id`);
    }
    return found[0]?._id ?? null;
  }

  type StateReader = (type: 'user' | 'serviceAccount', orgId: string, id: string) => Promise<AccessDoc | null>;

  function memoizedStates(): StateReader {
    const memo = new Map<string, Promise<AccessDoc | null>>();
    return (type, orgId, id) => {
      const k = `${type}:${id}`;
      if (!memo.has(k)) memo.set(k, stateOf(type, orgId, id));
      return memo.get(k)!;
    };
  }

  async function check(orgId: string, req: CheckRequest, readState: StateReader = stateOf): Promise<CheckResult> {
    const s = req.subject;
    if ('apiKey' in s || 'apiKeyId' in s) {
      const key = 'apiKey' in s ? await rbac.findApiKeyBySecret(s.apiKey) : await rbac.findApiKey(orgId, s.apiKeyId);
      // A key of another organization is indistinguishable from no key at all.
      if (!key || key.orgId !== orgId) {
        return denied({ type: 'apiKey', id: 'apiKeyId' in s ? s.apiKeyId : 'unknown' }, 'key_unknown');
      }
      const owner = await readState(key.ownerType, orgId, key.ownerId);
      const ownerView = owner ? await viewOf(orgId, owner, req.projectId ?? key.projectId, req.permission) : null;
      const d = decideForKey(
        { projectId: key.projectId, permissions: key.permissions, revoked: key.revokedAt !== null && key.revokedAt !== undefined },
        ownerView,
        req.permission,
        req.projectId,
      );
      touchKey(key);
      return { ...d, subject: { type: 'apiKey', id: key._id }, stateVersion: owner?.version ?? null, changeId: owner?.changeId ?? null };
    }
    let type: 'user' | 'serviceAccount';
    let id: string | null;
    if ('serviceAccountId' in s) {
      type = 'serviceAccount';
      id = s.serviceAccountId;
    } else {
      type = 'user';
      id = 'userId' in s ? s.userId : await resolveUserName(orgId, s.userName);
    }
    if (!id) return denied({ type, id: 'userName' in s ? s.userName : 'unknown' }, 'unknown_subject');
    const state = await readState(type, orgId, id);
    if (!state) return denied({ type, id }, 'unknown_subject');
    const d = decide(await viewOf(orgId, state, req.projectId, req.permission), req.permission, req.projectId);
    return { ...d, subject: { type, id }, stateVersion: state.version, changeId: state.changeId ?? null };
  }

  function denied(subject: CheckResult['subject'], reason: string): CheckResult {
    return { allowed: false, reason, grants: [], subject, stateVersion: null, changeId: null };
  }

  function touchKey(key: ApiKeyDoc) {
    rbac.markApiKeyUsed(key._id, (err) => deps.log.warn({ err: err.message }, 'could not record key use'));
  }

  /** Organization-level grants reach a project only while it exists and is not archived. */
  async function projectIsLive(orgId: string, projectId: string): Promise<boolean> {
    return (await rbac.liveProject(orgId, projectId)) !== null;
  }

  async function viewOf(orgId: string, doc: AccessDoc, projectId: string | undefined, permission: string) {
    const perm = permissionById(permission);
    const needsLiveness = Boolean(projectId && perm?.level === 'project' && doc.allProjects?.some((g) => g.permission === permission));
    return viewForProject(doc, projectId, needsLiveness ? await projectIsLive(orgId, projectId!) : false);
  }

  /** Effective permissions of a user or service account, in one project or across the organization. */
  async function effective(orgId: string, type: 'user' | 'serviceAccount', id: string, projectId?: string) {
    const state = await stateOf(type, orgId, id);
    if (!state) throw new NotFound(`${type === 'user' ? 'user' : 'service account'} ${id}`);
    // An inactive principal holds nothing, whatever grants were materialized before it was deactivated.
    let projects: Array<{ projectId: string; permissions: readonly unknown[] }> = [];
    if (state.isActive) {
      const ids = projectId ? [projectId] : (await rbac.listProjects(orgId)).map((p) => p._id);
      for (const p of ids) {
        const view = viewForProject(state, p, state.allProjects?.length ? await projectIsLive(orgId, p) : false);
        projects.push(...view.projects);
      }
      projects = projects.filter((p) => p.permissions.length > 0);
    }
    return {
      subject: { type, id },
      isActive: state.isActive,
      stateVersion: state.version,
      changeId: state.changeId ?? null,
      computedAt: state.computedAt,
      organization: state.isActive ? (state.org ?? []) : [],
      projects,
    };
  }

  async function checkBatch(orgId: string, reqs: CheckRequest[]): Promise<CheckResult[]> {
    if (reqs.length > 1000) throw new InvalidRequest('at most 1,000 checks per batch', 'tooMany');
    // Checks of the same subject share one read of its access document.
    const readState = memoizedStates();
    return Promise.all(reqs.map((r) => check(orgId, r, readState)));
  }

  return { recomputeUser, recomputeUsers, recomputeUsersBulk, recomputeServiceAccount, groupsGrantAnything, revokeUserNow, userStatusChanged, check, checkBatch, effective };
}

const PARALLEL_RECOMPUTES = 4;
const BULK_CHUNK = 1000;

/**
 * The write guard: replace only a document computed from state read no later than ours (or one
 * written before documents carried `sourceAt`). Atomic on MongoDB; on FerretDB v1 the check and
 * the write are two steps, so the guard narrows the race to that gap instead of a whole recompute.
 */
function readNoLaterThan(sourceAt: Date): Record<string, unknown> {
  return { $or: [{ sourceAt: { $exists: false } }, { sourceAt: { $lte: sourceAt } }] };
}

function groupsWithNames(groupIds: string[], names: Map<string, string>): Array<{ id: string; displayName: string }> {
  return groupIds.filter((id) => names.has(id)).map((id) => ({ id, displayName: names.get(id)! }));
}

/** MongoDB refuses `_id` inside `$set`, even unchanged; the filter already names it. */
function withoutId<T extends { _id: string }>(doc: T): Omit<T, '_id'> {
  const { _id, ...rest } = doc;
  void _id;
  return rest;
}
