import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { isDuplicateKey } from '../shared/mongo';
import type { ChangeLog } from '../propagation/change-log';
import type { DirectoryContext } from './context';
import { deepEqual } from './deep-equal';
import { checkIfMatch } from './etag';
import { resolveMembershipPlaceholders } from './membership-placeholders';
import type { GroupDoc, GroupTombstoneDoc, MembershipDoc, UserDoc } from './models';
import type { ListOptions } from './user.service';
import type { IdLookup } from '../shared/id-lookup';
import type { PrincipalKind, PrincipalRegistry } from './principal-registry';

/** The attributes of a group other than its members (those are a delta, never a loaded list). */
export interface GroupAttributes {
  displayName: string;
  externalId?: string;
  schemas?: string[];
}

export interface MemberRef {
  value: string;
  display?: string;
}

/** The net effect of one request on a group's members, folded in request order. */
export interface MemberDelta {
  clear: boolean;
  add: MemberRef[] | string[];
  remove: string[];
}

interface PlannedMember {
  memberId: string;
  memberType: PrincipalKind;
  display?: string;
}

export interface GroupWrite {
  group: GroupDoc;
  changeIds: string[];
  modified: boolean;
}

const MAX_UPDATE_RETRIES = 5;
/** Member edits of up to this many ids are planned exactly (one read per id); larger ones from what the writes report. */
const EXACT_PLAN_MAX = 16;
const INSERT_CHUNK = 1000;
const ADR_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

export type GroupService = ReturnType<typeof createGroupService>;

export function createGroupService(deps: {
  users: Model<UserDoc>;
  groups: Model<GroupDoc>;
  memberships: Model<MembershipDoc>;
  groupTombstones: Model<GroupTombstoneDoc>;
  changes: ChangeLog;
  ids: IdLookup;
  registry: PrincipalRegistry;
  log: Logger;
}) {
  const { users, groups, memberships, groupTombstones, changes, ids: byIds, registry } = deps;

  async function get(ctx: DirectoryContext, id: string): Promise<GroupDoc> {
    const doc = await groups.findOne({ _id: id, directoryId: ctx.directoryId }).lean<GroupDoc>();
    if (!doc) throw new NotFound(`Group ${id}`);
    return doc;
  }

  async function list(ctx: DirectoryContext, opts: ListOptions): Promise<{ total: number; groups: GroupDoc[] }> {
    const resolved = await resolveMembershipPlaceholders(opts.query, memberships, ctx.directoryId);
    const query = { ...resolved, directoryId: ctx.directoryId };
    if (opts.skip === 0 && opts.limit > 0) {
      const docs = await groups.find(query).sort(opts.sort ?? { createdAt: 1, _id: 1 }).limit(opts.limit).lean<GroupDoc[]>();
      if (docs.length < opts.limit) return { total: docs.length, groups: docs };
    }
    const total = await groups.countDocuments(query);
    if (opts.limit === 0 || opts.skip >= total) return { total, groups: [] };
    const docs = await groups
      .find(query)
      .sort(opts.sort ?? { createdAt: 1, _id: 1 })
      .skip(opts.skip)
      .limit(opts.limit)
      .lean<GroupDoc[]>();
    return { total, groups: docs };
  }

  /** Members of one group, in a stable order, read in pages so a 100,000-member group streams. */
  async function membersOf(ctx: DirectoryContext, groupId: string): Promise<MembershipDoc[]> {
    return memberships
      .find({ directoryId: ctx.directoryId, groupId }, { memberId: 1, memberType: 1, display: 1 })
      .sort({ _id: 1 })
      .lean<MembershipDoc[]>();
  }

  async function create(ctx: DirectoryContext, attrs: GroupAttributes, members: MemberRef[]): Promise<GroupWrite> {
    const now = new Date();
    const doc: GroupDoc = {
      _id: newId(),
      orgId: ctx.orgId,
      directoryId: ctx.directoryId,
      ...storedGroupFields(attrs),
      memberCount: 0,
      version: 1,
      createdAt: now,
      lastModifiedAt: now,
    };
    const resolved = await resolveMembers(ctx, members);
    const memberGroupIds = resolved.refs.filter((r) => r.memberType === 'Group').map((r) => r.memberId);
    const changeIds = resolved.userIds.length || memberGroupIds.length
      ? await changes.record({
          orgId: ctx.orgId,
          directoryId: ctx.directoryId,
          kind: 'membership.changed',
          userIds: resolved.userIds,
          groupIds: [doc._id],
          memberGroupIds,
          additionsOnly: true,
          requestId: ctx.requestId,
        })
      : [];
    await groups.collection.insertOne(doc as never);
    await registry.remember(ctx.directoryId, [[doc._id, 'Group']]);
    const added = (await insertMemberships(ctx, doc._id, resolved.refs)).length;
    if (added > 0) {
      await groups.updateOne({ _id: doc._id }, { $set: { memberCount: added } });
      doc.memberCount = added;
    }
    return { group: doc, changeIds, modified: true };
  }

  /**
   * Applies attribute changes and a member delta. Member changes never load the whole member list
   * unless the request replaces it; a request that changes nothing (Okta's rename PATCH that repeats
   * the current name) writes nothing and records no change.
   */
  async function update(
    ctx: DirectoryContext,
    id: string,
    transform: ((current: GroupAttributes) => GroupAttributes) | null,
    delta: MemberDelta,
    ifMatch?: string,
  ): Promise<GroupWrite> {
    for (let attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
      const current = await get(ctx, id);
      checkIfMatch(ifMatch, current.version);
      const currentAttrs = attributesOfGroup(current);
      const nextAttrs = transform ? transform(currentAttrs) : currentAttrs;
      if (typeof nextAttrs.displayName !== 'string' || nextAttrs.displayName.trim() === '') {
        throw new InvalidRequest('displayName is required', 'invalidValue');
      }
      const nextFields = storedGroupFields(nextAttrs);
      const attrsChanged = !deepEqual(
        { displayName: current.displayName, externalId: current.externalId, extensionSchemas: current.extensionSchemas ?? [] },
        { displayName: nextFields.displayName, externalId: nextFields.externalId, extensionSchemas: nextFields.extensionSchemas ?? [] },
      );

      const plan = await planMembers(ctx, id, delta);
      if (!attrsChanged && plan.toAdd.length === 0 && plan.toRemove.length === 0) {
        return { group: current, changeIds: [], modified: false };
      }
      const recorded = {
        orgId: ctx.orgId,
        directoryId: ctx.directoryId,
        kind: 'membership.changed' as const,
        userIds: [...new Set([...plan.toAdd.filter((m) => m.memberType === 'User').map((m) => m.memberId), ...plan.toRemove.filter((m) => m.memberType === 'User').map((m) => m.memberId)])],
        groupIds: [id],
        memberGroupIds: [...new Set([...plan.toAdd, ...plan.toRemove].filter((m) => m.memberType === 'Group').map((m) => m.memberId))],
        additionsOnly: plan.toRemove.length === 0,
        requestId: ctx.requestId,
      };
      const changeIds = recorded.userIds.length || recorded.memberGroupIds.length ? await changes.record(recorded) : [];
      const now = new Date();
      if (attrsChanged) {
        const set = { ...nextFields, lastModifiedAt: now };
        const unset = nextFields.externalId === undefined ? { externalId: '' } : undefined;
        const res = await groups.updateOne(
          { _id: id, directoryId: ctx.directoryId, version: current.version },
          { $set: set, ...(unset ? { $unset: unset } : {}), $inc: { version: 1 } },
        );
        if (res.matchedCount !== 1) {
          await changes.discard(changeIds);
          deps.log.debug({ groupId: id, attempt }, 'concurrent group update; retrying');
          continue;
        }
      }
      // Members are documents of their own, so a member-only change cannot lose a concurrent one: it need not
      // wait for the version it read (IdPs send concurrent PATCHes to one group; they must not get 409s).
      const removed = plan.toRemove.length
        ? new Set((await byIds.deleteByIds(memberships, plan.toRemove.map((m) => membershipId(id, m.memberId)))).map((mid) => mid.slice(id.length + 1)))
        : new Set<string>();
      const added = new Set(await insertMemberships(ctx, id, plan.toAdd));
      const countDelta = added.size - removed.size;
      if (!plan.exact) {
        // The plan was every requested member; what really changed is known only now.
        const touched = [...plan.toAdd.filter((m) => added.has(m.memberId)), ...plan.toRemove.filter((m) => removed.has(m.memberId))];
        if (touched.length === 0) {
          await changes.discard(changeIds);
          if (!attrsChanged) return { group: current, changeIds: [], modified: false };
          changeIds.length = 0;
        }
        const touchedUsers = new Set(touched.filter((m) => m.memberType === 'User').map((m) => m.memberId));
        const touchedGroups = [...new Set(touched.filter((m) => m.memberType === 'Group').map((m) => m.memberId))];
        if (touched.length > 0 && (touchedUsers.size < recorded.userIds.length || touchedGroups.length < recorded.memberGroupIds.length)) {
          await changes.narrow(changeIds, recorded, { userIds: touchedUsers, memberGroupIds: touchedGroups });
        }
      }
      const after =
        attrsChanged && countDelta === 0
          ? await groups.findOne({ _id: id }).lean<GroupDoc>()
          : await groups
              .findOneAndUpdate(
                { _id: id },
                attrsChanged ? { $inc: { memberCount: countDelta } } : { $inc: { memberCount: countDelta, version: 1 }, $set: { lastModifiedAt: now } },
                { returnDocument: 'after' },
              )
              .lean<GroupDoc>();
      return { group: after ?? current, changeIds, modified: true };
    }
    throw new Conflict('Group', 'the group is being changed concurrently; retry the request');
  }

  async function remove(ctx: DirectoryContext, id: string, ifMatch?: string): Promise<{ changeIds: string[] }> {
    const current = await get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    const members = await memberships
      .find({ directoryId: ctx.directoryId, groupId: id }, { memberId: 1, memberType: 1, _id: 0 })
      .lean<Array<{ memberId: string; memberType: PrincipalKind }>>();
    const memberUserIds = members.filter((m) => m.memberType === 'User').map((m) => m.memberId);
    const memberGroupIds = members.filter((m) => m.memberType === 'Group').map((m) => m.memberId);
    const changeIds = await changes.record({
      orgId: ctx.orgId,
      directoryId: ctx.directoryId,
      kind: 'group.deleted',
      userIds: memberUserIds,
      groupIds: [id],
      memberGroupIds,
      requestId: ctx.requestId,
    });
    await registry.forget([id]);
    await groupTombstones.collection.updateOne(
      { _id: id } as never,
      { $set: { orgId: ctx.orgId, directoryId: ctx.directoryId, displayName: current.displayName, deletedAt: new Date() } },
      { upsert: true },
    );
    // Memberships first, the group last: if this stops half-way the group is still there, and the
    // IdP's retried DELETE finishes the job instead of leaving memberships of a group that is gone.
    await byIds.deleteMatching(memberships, { directoryId: ctx.directoryId, groupId: id });
    // Nested-group memberships where this group was the member go too.
    await byIds.deleteMatching(memberships, { directoryId: ctx.directoryId, memberId: id });
    await groups.deleteOne({ _id: id, directoryId: ctx.directoryId });
    await registry.forget([id]);
    return { changeIds };
  }

  /**
   * What each id is in this directory (User or Group); ids that are neither are absent. The registry
   * answers most in one Redis round trip; the rest are read from the database and remembered.
   */
  async function kindsOf(ctx: DirectoryContext, ids: string[]): Promise<Map<string, PrincipalKind>> {
    const kinds = await registry.known(ctx.directoryId, ids);
    let rest = ids.filter((x) => !kinds.has(x));
    if (rest.length === 0) return kinds;
    const found: Array<[string, PrincipalKind]> = [];
    for (const u of await byIds.findByIds(users, rest, { directoryId: ctx.directoryId }, ['_id'])) found.push([u._id, 'User']);
    const foundUsers = new Set(found.map(([x]) => x));
    rest = rest.filter((x) => !foundUsers.has(x));
    if (rest.length) for (const g of await byIds.findByIds(groups, rest, { directoryId: ctx.directoryId }, ['_id'])) found.push([g._id, 'Group']);
    for (const [x, kind] of found) kinds.set(x, kind);
    await registry.remember(ctx.directoryId, found);
    return kinds;
  }

  /** Which member ids exist in this directory, and as what; unknown ids are an error the IdP can see. */
  async function resolveMembers(
    ctx: DirectoryContext,
    members: Array<MemberRef | string>,
  ): Promise<{ refs: PlannedMember[]; userIds: string[] }> {
    const byId = new Map<string, MemberRef>();
    for (const m of members) {
      const ref = typeof m === 'string' ? { value: m } : m;
      if (!byId.has(ref.value)) byId.set(ref.value, ref);
    }
    const ids = [...byId.keys()];
    if (ids.length === 0) return { refs: [], userIds: [] };
    const kinds = await kindsOf(ctx, ids);
    const missing = ids.filter((x) => !kinds.has(x));
    if (missing.length) {
      const shown = missing.slice(0, 5).join(', ');
      throw new InvalidRequest(
        `members refer to ${missing.length} unknown resource(s) in this directory: ${shown}${missing.length > 5 ? ', ...' : ''}`,
        'invalidValue',
      );
    }
    const refs = ids.map((value) => ({ memberId: value, memberType: kinds.get(value)!, display: byId.get(value)?.display }));
    return { refs, userIds: ids.filter((x) => kinds.get(x) === 'User') };
  }

  /**
   * The members to add and remove. Small edits (Okta's one-member PATCHes) read which members are
   * already there, so a repeat changes nothing and costs one read per id. Large ones on a backend
   * without `$in` would spend a read per id on that, so they plan every requested member, let the
   * writes say which really changed (a membership's id is derived from group and member), and
   * narrow the recorded change afterwards (`exact: false`).
   */
  async function planMembers(ctx: DirectoryContext, groupId: string, delta: MemberDelta): Promise<{ toAdd: PlannedMember[]; toRemove: PlannedMember[]; exact: boolean }> {
    const adds = (delta.add as Array<MemberRef | string>).map((m) => (typeof m === 'string' ? { value: m } : m));
    if (adds.some((m) => m.value === groupId)) throw new InvalidRequest('a group cannot be a member of itself', 'invalidValue');
    const resolved = await resolveMembers(ctx, adds);
    if (delta.clear) {
      const keep = new Set(resolved.refs.map((r) => r.memberId));
      const current = await memberships
        .find({ directoryId: ctx.directoryId, groupId }, { memberId: 1, memberType: 1 })
        .lean<Array<{ memberId: string; memberType: PrincipalKind }>>();
      const present = new Set(current.map((m) => m.memberId));
      return {
        toAdd: resolved.refs.filter((r) => !present.has(r.memberId)),
        toRemove: current.filter((m) => !keep.has(m.memberId)).map((m) => ({ memberId: m.memberId, memberType: m.memberType })),
        exact: true,
      };
    }
    const removeIds = [...new Set(delta.remove)];
    const candidates = [...new Set([...removeIds, ...resolved.refs.map((r) => r.memberId)])];
    if (candidates.length > EXACT_PLAN_MAX) {
      // Ids to remove that are no principal of the directory any more have no membership left to remove.
      const kinds = await kindsOf(ctx, removeIds);
      const toRemove = removeIds.filter((m) => kinds.has(m)).map((m) => ({ memberId: m, memberType: kinds.get(m)! }));
      return { toAdd: resolved.refs, toRemove, exact: false };
    }
    const present = new Map<string, PrincipalKind>();
    const rows = await byIds.findByIds(memberships, candidates.map((m) => membershipId(groupId, m)), {}, ['memberId', 'memberType']);
    rows.forEach((r) => present.set(r.memberId, r.memberType));
    return {
      toAdd: resolved.refs.filter((r) => !present.has(r.memberId)),
      toRemove: removeIds.filter((m) => present.has(m)).map((m) => ({ memberId: m, memberType: present.get(m)! })),
      exact: true,
    };
  }

  /** Idempotent: a membership's id is derived from (group, member), so re-adding never duplicates. Returns the members added. */
  async function insertMemberships(ctx: DirectoryContext, groupId: string, refs: PlannedMember[]): Promise<string[]> {
    const inserted: string[] = [];
    const now = new Date();
    for (let i = 0; i < refs.length; i += INSERT_CHUNK) {
      const chunk = refs.slice(i, i + INSERT_CHUNK);
      const docs = chunk.map((r) => ({
        _id: membershipId(groupId, r.memberId),
        directoryId: ctx.directoryId,
        orgId: ctx.orgId,
        groupId,
        memberId: r.memberId,
        memberType: r.memberType,
        ...(r.display ? { display: r.display } : {}),
        createdAt: now,
      }));
      try {
        await memberships.collection.insertMany(docs as never[], { ordered: false });
        inserted.push(...chunk.map((r) => r.memberId));
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const e = err as { writeErrors?: Array<{ index: number; code?: number }> | { index: number; code?: number } };
        const list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
        const already = new Set(list.map((w) => w.index));
        // A duplicate error that names no index cannot say which were new: count none rather than guess.
        if (list.length) inserted.push(...chunk.filter((_, k) => !already.has(k)).map((r) => r.memberId));
      }
    }
    return inserted;
  }

  return { get, list, membersOf, create, update, remove };
}

export const membershipId = (groupId: string, memberId: string): string => `${groupId}|${memberId}`;

export function attributesOfGroup(doc: GroupDoc): GroupAttributes {
  const schemas = ['urn:ietf:params:scim:schemas:core:2.0:Group', ...(doc.extensionSchemas ?? [])];
  return {
    displayName: doc.displayName,
    ...(doc.externalId !== undefined && doc.externalId !== null ? { externalId: doc.externalId } : {}),
    schemas,
  };
}

function storedGroupFields(attrs: GroupAttributes) {
  const extra = (attrs.schemas ?? []).filter((s) => s.toLowerCase() === ADR_SCHEMA.toLowerCase()).map(() => ADR_SCHEMA);
  return {
    displayName: attrs.displayName,
    displayNameKey: attrs.displayName.toLowerCase(),
    ...(typeof attrs.externalId === 'string' ? { externalId: attrs.externalId } : {}),
    extensionSchemas: [...new Set(extra)],
  };
}
