import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { distinctOf, isDuplicateKey } from '../shared/mongo';
import type { ChangeLog } from '../propagation/change-log';
import type { ChangeKind } from '../propagation/change.model';
import type { DirectoryContext } from './context';
import { deepEqual } from './deep-equal';
import { checkIfMatch } from './etag';
import type { QueryPlan } from '../store/complex-filter';
import type { IdLookup } from '../store/id-lookup';
import type { DirectoryListing } from '../store/directory-listing';
import { CREATION_ORDER, listPage, type ListOptions } from './list-page';
import { inParallel } from '../shared/in-parallel';
import { resolveMembershipPlaceholders } from './membership-placeholders';
import type { DirectoryModels, GroupDoc, MembershipDoc, UserDoc, UserTombstoneDoc } from './models';
import { hashPassword } from './password-hash';
import type { PrincipalRegistry } from './principal-registry';
import type { FreshCache } from '../shared/fresh-cache';
import { attributesOfUser, ENTERPRISE_USER_URN, storedFieldsOf, type UserAttributes } from './user-attributes';
import type { EventRecorder } from '../events/event-recorder';
import { scimOrigin, userCreated, userDeleted, userUpdated } from '../events/directory-events';
import type { AdmitDecision, DeprovisionGuard } from './deprovision-guard';
import { membershipId } from './group-members';

export interface UserWrite {
  user: UserDoc;
  /** Ids of the recorded changes that may alter access; empty when nothing access-relevant changed. */
  changeIds: string[];
  /** False when the request changed nothing (no version bump, no change record). */
  modified: boolean;
  /** The user before this write (updates only). */
  before?: UserDoc;
}

const MAX_UPDATE_RETRIES = 5;
/** How many (directory, userName) -> id pairs a process remembers for IdP lookups by userName. */
const MAX_REMEMBERED_NAMES = 100_000;
const CACHE_KIND = 'scim-user';
/** Users of a list page read at once (point reads on FerretDB; cache hits elsewhere). */
const PAGE_READ_CONCURRENCY = 8;

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(deps: Pick<DirectoryModels, 'users' | 'groups' | 'memberships' | 'userTombstones'> & {
  changes: ChangeLog;
  /** How the store runs a query with `$elemMatch` (exactly on MongoDB; a superset and a re-check on FerretDB). */
  planQuery: (query: Record<string, unknown>) => QueryPlan;
  ids: IdLookup;
  listing: DirectoryListing;
  /**
   * Called before a deactivation or deletion is stored, so access checks deny from that moment
   * (deprovisioning does not wait for propagation). Failing here fails the write: nothing is half-done.
   */
  revokeAccessNow?: (orgId: string, userId: string) => Promise<void>;
  /** After an activation, deactivation or deletion is stored: access checks read the user's status. */
  statusChanged?: (userId: string) => Promise<void>;
  /** Told of created and deleted users, so group member checks need not read each one. */
  registry?: PrincipalRegistry;
  /** Serves repeated reads (IdPs look the same users up by userName on every sync); every write invalidates. */
  fresh?: FreshCache;
  /**
   * The event log: each accepted write records its events in one insert after its data write and
   * before it answers, so no write is acknowledged whose events could still be lost.
   */
  events?: Pick<EventRecorder, 'record'>;
  /**
   * The mass-deprovisioning threshold: a deprovision it holds is stored as the IdP asked, but its change
   * is staged and access is not revoked (deprovision-guard.ts). Absent, every deprovision applies at once.
   */
  guard?: Pick<DeprovisionGuard, 'admit' | 'hold' | 'released'>;
  log: Logger;
}) {
  const { users, groups, memberships, userTombstones, changes } = deps;

  async function get(ctx: DirectoryContext, id: string): Promise<UserDoc> {
    const doc = await users.findOne({ _id: id, directoryId: ctx.directoryId }).lean<UserDoc>();
    if (!doc) throw new NotFound(`User ${id}`);
    return doc;
  }

  /**
   * A user for a GET, through the fresh cache: each hit is checked against the user's freshness tag
   * in Redis, which every write below replaces before it answers. Writes themselves read the database.
   */
  async function read(ctx: DirectoryContext, id: string): Promise<UserDoc> {
    const doc = await cachedById(id);
    if (!doc || doc.directoryId !== ctx.directoryId) throw new NotFound(`User ${id}`);
    return doc;
  }

  // List pages read their users through the same cache: an IdP's repeated import walks cost no database reads.
  const pages = {
    model: users,
    kind: 'users' as const,
    ids: deps.ids,
    listing: deps.listing,
    read: async (ids: string[]) => (await inParallel(ids, PAGE_READ_CONCURRENCY, cachedById)).filter((d): d is UserDoc => d !== null),
  };

  async function cachedById(id: string): Promise<UserDoc | null> {
    if (!deps.fresh?.enabled) return users.findOne({ _id: id }).lean<UserDoc>();
    const doc = await deps.fresh.read(CACHE_KIND, id, () => users.findOne({ _id: id }).lean<UserDoc>());
    // Entries are shared by concurrent requests; each gets its own copy to shape.
    return doc && structuredClone(doc);
  }

  // Which user a (directory, lower-cased userName) was, last time it was looked up. Only a hint: the
  // user it names is read through the fresh cache and must still carry that userName, else the
  // database is asked. A userName that matched nobody is never remembered.
  const idByName = new Map<string, string>();

  async function findByUserNameKey(ctx: DirectoryContext, key: string, query: Record<string, unknown>): Promise<UserDoc[]> {
    const nameKey = `${ctx.directoryId}|${key}`;
    const id = idByName.get(nameKey);
    if (id !== undefined) {
      const doc = await cachedById(id);
      if (doc && doc.directoryId === ctx.directoryId && doc.userNameKey === key) return [doc];
      idByName.delete(nameKey);
    }
    const docs = await users.find(query).limit(2).lean<UserDoc[]>();
    if (docs.length === 1 && deps.fresh?.enabled) {
      if (idByName.size >= MAX_REMEMBERED_NAMES) idByName.delete(idByName.keys().next().value!);
      idByName.set(nameKey, docs[0]._id);
    }
    return docs;
  }

  async function list(ctx: DirectoryContext, opts: ListOptions): Promise<{ total: number; users: UserDoc[] }> {
    const nameKey = exactUserNameKey(opts.query);
    if (nameKey !== null && opts.skip === 0) {
      // Okta's and Entra's lookup before every create or update: `userName eq "..."`, at most one user.
      const docs = await findByUserNameKey(ctx, nameKey, { ...opts.query, directoryId: ctx.directoryId });
      return { total: docs.length, users: docs.slice(0, opts.limit) };
    }
    const resolved = await resolveMembershipPlaceholders(opts.query, memberships, ctx.directoryId);
    const sort = opts.sort ?? CREATION_ORDER;
    const { dbQuery, recheck } = deps.planQuery(resolved);
    if (recheck) {
      // Every candidate is read (streamed, so memory holds only the page) and tested exactly; none is
      // left out, however large the directory.
      const page: UserDoc[] = [];
      let total = 0;
      for await (const doc of users.find({ ...dbQuery, directoryId: ctx.directoryId }).sort(sort).lean<UserDoc[]>().cursor()) {
        if (!recheck(doc)) continue;
        if (total >= opts.skip && page.length < opts.limit) page.push(doc as UserDoc);
        total++;
      }
      return { total, users: page };
    }
    const { total, docs } = await listPage(pages, ctx.directoryId, { ...opts, query: resolved });
    return { total, users: docs };
  }

  async function create(ctx: DirectoryContext, attrs: UserAttributes): Promise<UserWrite> {
    const now = new Date();
    const doc: UserDoc = {
      ...(storedFieldsOf(attrs) as Partial<UserDoc>),
      _id: newId(),
      orgId: ctx.orgId,
      directoryId: ctx.directoryId,
      extensionSchemas: extensionSchemasOf(attrs),
      version: 1,
      createdAt: now,
      lastModifiedAt: now,
    } as UserDoc;
    if (typeof attrs.password === 'string') doc.passwordHash = await hashPassword(attrs.password);
    // A new user changes nobody's access: its id is new, so no binding, membership or key can name it
    // yet (its access document is computed at its first check or membership). So no change is recorded,
    // and the unique (directory, userName) index alone answers a taken userName.
    try {
      await users.collection.insertOne(doc as never);
    } catch (err) {
      if (isDuplicateKey(err)) throw userNameTaken(doc.userName);
      throw err;
    }
    await deps.registry?.remember(ctx.directoryId, [[doc._id, 'User']]);
    await deps.listing.added('users', ctx.directoryId, [doc]);
    await deps.events?.record(userCreated(scimOrigin(ctx, null, now), doc));
    return { user: doc, changeIds: [], modified: true };
  }

  /** PUT: the body is the whole new state (RFC 7644 section 3.5.1); readOnly attributes stay ours. */
  async function replace(ctx: DirectoryContext, id: string, attrs: UserAttributes, ifMatch?: string): Promise<UserWrite> {
    return update(ctx, id, () => attrs, ifMatch);
  }

  /**
   * Read, transform, write back guarded by version: a concurrent writer makes the guard miss and
   * the transform is re-applied to the fresh state, so no accepted write is lost and no lock is held.
   */
  async function update(
    ctx: DirectoryContext,
    id: string,
    transform: (current: UserAttributes) => UserAttributes,
    ifMatch?: string,
  ): Promise<UserWrite> {
    // Asked once per request: a retry after a concurrent write must not count the deprovision twice.
    let decision: AdmitDecision | undefined;
    for (let attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
      const current = await get(ctx, id);
      checkIfMatch(ifMatch, current.version);
      const nextAttrs = transform(attributesOfUser(current));
      if (typeof nextAttrs.userName !== 'string' || nextAttrs.userName.trim() === '') {
        throw new InvalidRequest('userName is required', 'invalidValue');
      }
      const stored = storedFieldsOf(nextAttrs);
      const passwordHash =
        typeof nextAttrs.password === 'string' ? await hashPassword(nextAttrs.password) : current.passwordHash;
      const next: UserDoc = {
        ...(stored as Partial<UserDoc>),
        _id: current._id,
        orgId: current.orgId,
        directoryId: current.directoryId,
        extensionSchemas: mergeSchemas(current.extensionSchemas, extensionSchemasOf(nextAttrs)),
        version: current.version,
        createdAt: current.createdAt,
        lastModifiedAt: current.lastModifiedAt,
      } as UserDoc;
      if (passwordHash) next.passwordHash = passwordHash;
      const passwordChanged = typeof nextAttrs.password === 'string';
      if (!passwordChanged && sameUser(current, next)) return { user: current, changeIds: [], modified: false };

      next.version = current.version + 1;
      next.lastModifiedAt = new Date();
      if (next.userNameKey !== current.userNameKey) {
        const taken = await users.exists({ directoryId: ctx.directoryId, userNameKey: next.userNameKey, _id: { $ne: id } });
        if (taken) throw userNameTaken(next.userName);
      }
      const kind: ChangeKind | null =
        current.active === next.active ? null : next.active ? 'user.activated' : 'user.deactivated';
      if (kind === 'user.deactivated' && deps.guard) decision ??= await deps.guard.admit(ctx, id);
      const isHeld = kind === 'user.deactivated' && decision?.held === true;
      const changeIds = kind
        ? await changes.record({ orgId: ctx.orgId, directoryId: ctx.directoryId, kind, userIds: [id], requestId: ctx.requestId, staged: isHeld })
        : [];
      if (isHeld) await deps.guard!.hold(ctx, { user: current, kind: 'user.deactivated', changeIds, decision: decision! });
      else if (kind === 'user.deactivated') await deps.revokeAccessNow?.(ctx.orgId, id);
      try {
        const res = await users.collection.replaceOne({ _id: id, directoryId: ctx.directoryId, version: current.version } as never, next as never);
        if (res.matchedCount === 1) {
          await deps.fresh?.invalidate(CACHE_KIND, [id]);
          if (kind === 'user.activated') await deps.guard?.released(ctx.orgId, id);
          if (kind) await deps.statusChanged?.(id);
          await deps.events?.record(userUpdated(scimOrigin(ctx, changeIds[0] ?? null, next.lastModifiedAt), current, next));
          // A held change is not handed to the queue: it waits for an admin.
          return { user: next, changeIds: isHeld ? [] : changeIds, modified: true, before: current };
        }
      } catch (err) {
        if (isDuplicateKey(err)) throw userNameTaken(next.userName);
        throw err;
      }
      deps.log.debug({ userId: id, attempt }, 'concurrent user update; retrying');
    }
    throw new Conflict('User', 'the user is being changed concurrently; retry the request');
  }

  async function remove(ctx: DirectoryContext, id: string, ifMatch?: string): Promise<{ changeIds: string[] }> {
    const current = await get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    const decision = deps.guard ? await deps.guard.admit(ctx, id) : undefined;
    const isHeld = decision?.held === true;
    const changeIds = await changes.record({
      orgId: ctx.orgId,
      directoryId: ctx.directoryId,
      kind: 'user.deleted',
      userIds: [id],
      requestId: ctx.requestId,
      staged: isHeld,
    });
    if (!isHeld) await deps.revokeAccessNow?.(ctx.orgId, id);
    await deps.registry?.forget([id]);
    await userTombstones.collection.updateOne(
      { _id: id } as never,
      {
        $set: {
          orgId: ctx.orgId,
          directoryId: ctx.directoryId,
          userName: current.userName,
          externalId: current.externalId,
          deletedAt: new Date(),
        },
      },
      { upsert: true },
    );
    const groupIds = await distinctOf(memberships, 'groupId', { directoryId: ctx.directoryId, memberId: id });
    // Held: the hold keeps the user and its groups (for access meanwhile, and to restore on discard) before they go.
    if (isHeld) await deps.guard!.hold(ctx, { user: current, kind: 'user.deleted', changeIds, decision: decision!, groupIds });
    await memberships.deleteMany({ directoryId: ctx.directoryId, memberId: id });
    if (groupIds.length > 0) {
      await groups.updateMany(
        { _id: { $in: groupIds }, directoryId: ctx.directoryId },
        { $inc: { memberCount: -1, version: 1 }, $set: { lastModifiedAt: new Date() } },
      );
    }
    await users.deleteOne({ _id: id, directoryId: ctx.directoryId });
    await deps.listing.removed('users', ctx.directoryId, [id]);
    await deps.fresh?.invalidate(CACHE_KIND, [id]);
    await deps.registry?.forget([id]);
    await deps.statusChanged?.(id);
    await deps.events?.record(userDeleted(scimOrigin(ctx, changeIds[0] ?? null), current));
    return { changeIds: isHeld ? [] : changeIds };
  }

  /**
   * Puts back a user whose held deletion an admin discarded: the document as it was, and its memberships
   * of the groups that still exist. Null when the IdP has since created a user with that userName.
   */
  async function restore(ctx: DirectoryContext, snapshot: { user: UserDoc; groupIds: string[] }): Promise<UserDoc | null> {
    const now = new Date();
    const doc: UserDoc = { ...snapshot.user, orgId: ctx.orgId, directoryId: ctx.directoryId, version: snapshot.user.version + 1, lastModifiedAt: now };
    try {
      await users.collection.insertOne(doc as never);
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    await userTombstones.deleteOne({ _id: doc._id, directoryId: ctx.directoryId });
    for (const groupId of snapshot.groupIds) {
      if (!(await groups.exists({ _id: groupId, directoryId: ctx.directoryId }))) continue;
      try {
        await memberships.collection.insertOne({ _id: membershipId(groupId, doc._id), directoryId: ctx.directoryId, orgId: ctx.orgId, groupId, memberId: doc._id, memberType: 'User', createdAt: now } as never);
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await groups.updateOne({ _id: groupId, directoryId: ctx.directoryId }, { $inc: { memberCount: 1, version: 1 }, $set: { lastModifiedAt: now } });
    }
    await deps.registry?.remember(ctx.directoryId, [[doc._id, 'User']]);
    await deps.listing.added('users', ctx.directoryId, [doc]);
    await deps.fresh?.invalidate(CACHE_KIND, [doc._id]);
    await deps.statusChanged?.(doc._id);
    await deps.events?.record(userCreated(scimOrigin(ctx, null, now), doc));
    return doc;
  }

  /** The groups a user is a direct member of, for the readOnly `groups` attribute. */
  async function groupsOf(ctx: DirectoryContext, userId: string): Promise<Array<{ id: string; displayName: string }>> {
    const groupIds = await distinctOf(memberships, 'groupId', { directoryId: ctx.directoryId, memberId: userId });
    if (groupIds.length === 0) return [];
    // By id through the store: FerretDB answers `$in` by reading every group of the directory (133 ms a GET at 1,000 groups).
    const docs = await deps.ids.findByIds(groups, groupIds, { directoryId: ctx.directoryId }, ['displayName']);
    const byId = new Map((docs as Array<{ _id: string; displayName: string }>).map((g) => [g._id, g.displayName]));
    return groupIds.filter((id) => byId.has(id)).map((id) => ({ id, displayName: byId.get(id)! }));
  }

  return { get, read, list, create, replace, update, remove, restore, groupsOf };
}

/** The lower-cased userName when the filter was exactly `userName eq "..."`, else null. */
function exactUserNameKey(query: Record<string, unknown>): string | null {
  const keys = Object.keys(query);
  return keys.length === 1 && keys[0] === 'userNameKey' && typeof query.userNameKey === 'string' ? query.userNameKey : null;
}

function userNameTaken(userName: string): Conflict {
  return new Conflict('User', `userName "${userName}" is already in use in this directory`);
}

function extensionSchemasOf(attrs: Record<string, unknown>): string[] {
  const listed = Array.isArray(attrs.schemas) ? (attrs.schemas as unknown[]).filter((s) => typeof s === 'string') : [];
  const out = new Set<string>();
  for (const s of listed as string[]) if (s.toLowerCase() === ENTERPRISE_USER_URN.toLowerCase()) out.add(ENTERPRISE_USER_URN);
  if (attrs[ENTERPRISE_USER_URN]) out.add(ENTERPRISE_USER_URN);
  return [...out];
}

function mergeSchemas(a: string[] | undefined, b: string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

function sameUser(a: UserDoc, b: UserDoc): boolean {
  const strip = (d: UserDoc) => {
    const { version: _v, lastModifiedAt: _l, createdAt: _c, passwordHash: _p, extensionSchemas: _e, ...rest } = d;
    return rest;
  };
  return deepEqual(strip(a), strip(b)) && deepEqual(a.extensionSchemas ?? [], b.extensionSchemas ?? []);
}
