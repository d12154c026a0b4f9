import type { Model } from 'mongoose';
import type { PrincipalQueries } from '../directory/principal.queries';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import type { FreshCache } from '../shared/fresh-cache';
import type { Logger } from '../shared/logger';
import { accessDocId, type AccessDoc, type GrantRef } from './access.model';
import { shareGrants, viewForProject } from './access-compaction';
import type { AccessRecompute } from './access-recompute';
import { decodeAccess } from './access-storage';
import { storeAccess } from './access-write';
import { permissionById } from './catalog';
import { decide, decideForKey, type Decision } from './evaluate';
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

export type AccessCheck = ReturnType<typeof createAccessCheck>;

/**
 * The hot read path: an access check reads one materialized document per subject, through the
 * cache; deprovisioning writes straight to it so checks deny before propagation catches up.
 */
export function createAccessCheck(deps: {
  access: Model<AccessDoc>;
  rbac: Pick<RbacStore, 'findApiKeyBySecret' | 'findApiKey' | 'markApiKeyUsed' | 'liveProject' | 'listProjects' | 'findServiceAccount'>;
  principals: Pick<PrincipalQueries, 'user' | 'usersByUserName'>;
  /** Answers checks from memory; every write below invalidates what it changed on every instance. */
  fresh: FreshCache;
  /** A subject created moments ago has no document yet; its first check computes one. */
  recompute: Pick<AccessRecompute, 'recomputeUser' | 'recomputeServiceAccount'>;
  log: Logger;
}) {
  const { access, rbac, principals, fresh, recompute } = deps;
  const grantPool = new Map<string, GrantRef>();

  async function readDoc(id: string): Promise<AccessDoc | null> {
    return decodeAccess(await access.findOne({ _id: id }).lean<Record<string, unknown>>());
  }

  /**
   * Deprovisioning must not wait for propagation: the directory calls this before it stores
   * `active=false` or deletes the user, so checks deny from that moment on every instance.
   * Only `isActive` is set: the grants stay in the document until the worker recomputes it, so the
   * worker still sees what the user held and lists it in `access.revoked` (events/access-diff.ts).
   */
  async function revokeUserNow(orgId: string, userId: string): Promise<void> {
    const now = new Date();
    await storeAccess(deps, { _id: accessDocId('user', userId), orgId, principalType: 'user', principalId: userId, isActive: false, computedAt: now }, now);
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
        const found = await readDoc(docId);
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
    if (type === 'user') return user ? readDoc((await recompute.recomputeUser(orgId, id))._id) : null;
    return (await rbac.findServiceAccount(orgId, id)) ? readDoc((await recompute.recomputeServiceAccount(orgId, id))._id) : null;
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

  return { revokeUserNow, userStatusChanged, check, checkBatch, effective };
}
