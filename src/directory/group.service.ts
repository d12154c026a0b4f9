import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import { distinctOf, isDuplicateKey } from '../shared/mongo';
import type { ChangeLog } from '../propagation/change-log';
import type { DirectoryContext } from './context';
import { deepEqual } from './deep-equal';
import { checkIfMatch } from './etag';
import { resolveMembershipPlaceholders } from './membership-placeholders';
import type { GroupDoc, GroupTombstoneDoc, MembershipDoc, UserDoc } from './models';
import type { ListOptions } from './user.service';
import type { IdLookup } from '../shared/id-lookup';

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

export interface GroupWrite {
  group: GroupDoc;
  changeIds: string[];
  modified: boolean;
}

const MAX_UPDATE_RETRIES = 5;
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
  log: Logger;
}) {
  const { users, groups, memberships, groupTombstones, changes, ids: byIds } = deps;

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
    const changeIds = resolved.userIds.length
      ? await changes.record({
          orgId: ctx.orgId,
          directoryId: ctx.directoryId,
          kind: 'membership.changed',
          userIds: resolved.userIds,
          groupIds: [doc._id],
          requestId: ctx.requestId,
        })
      : [];
    await groups.collection.insertOne(doc as never);
    const added = await insertMemberships(ctx, doc._id, resolved.refs);
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
      const touchedUsers = [...plan.toAdd.filter((m) => m.memberType === 'User').map((m) => m.memberId), ...plan.removedUserIds];
      const changeIds = touchedUsers.length
        ? await changes.record({
            orgId: ctx.orgId,
            directoryId: ctx.directoryId,
            kind: 'membership.changed',
            userIds: [...new Set(touchedUsers)],
            groupIds: [id],
            requestId: ctx.requestId,
          })
        : [];
      const set = { ...nextFields, lastModifiedAt: new Date() };
      const unset = nextFields.externalId === undefined ? { externalId: '' } : undefined;
      // Members are documents of their own, so a member-only change cannot lose a concurrent one: it need not
      // wait for the version it read (IdPs send concurrent PATCHes to one group; they must not get 409s).
      const res = await groups.updateOne(
        { _id: id, directoryId: ctx.directoryId, ...(attrsChanged ? { version: current.version } : {}) },
        attrsChanged ? { $set: set, ...(unset ? { $unset: unset } : {}), $inc: { version: 1 } } : { $set: { lastModifiedAt: set.lastModifiedAt }, $inc: { version: 1 } },
      );
      if (res.matchedCount !== 1) {
        deps.log.debug({ groupId: id, attempt }, 'concurrent group update; retrying');
        continue;
      }
      let countDelta = 0;
      if (plan.toRemove.length) countDelta -= await byIds.deleteByIds(memberships, plan.toRemove.map((m) => membershipId(id, m)));
      countDelta += await insertMemberships(ctx, id, plan.toAdd.map((m) => ({ ...m })));
      const after = await groups
        .findOneAndUpdate({ _id: id }, { $inc: { memberCount: countDelta } }, { returnDocument: 'after' })
        .lean<GroupDoc>();
      return { group: after ?? current, changeIds, modified: true };
    }
    throw new Conflict('Group', 'the group is being changed concurrently; retry the request');
  }

  async function remove(ctx: DirectoryContext, id: string, ifMatch?: string): Promise<{ changeIds: string[] }> {
    const current = await get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    const memberUserIds = (await distinctOf(memberships, 'memberId', {
      directoryId: ctx.directoryId,
      groupId: id,
      memberType: 'User',
    })) as string[];
    const changeIds = await changes.record({
      orgId: ctx.orgId,
      directoryId: ctx.directoryId,
      kind: 'group.deleted',
      userIds: memberUserIds,
      groupIds: [id],
      requestId: ctx.requestId,
    });
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
    return { changeIds };
  }

  /** Which member ids exist in this directory, and as what; unknown ids are an error the IdP can see. */
  async function resolveMembers(
    ctx: DirectoryContext,
    members: Array<MemberRef | string>,
  ): Promise<{ refs: Array<{ memberId: string; memberType: 'User' | 'Group'; display?: string }>; userIds: string[] }> {
    const byId = new Map<string, MemberRef>();
    for (const m of members) {
      const ref = typeof m === 'string' ? { value: m } : m;
      if (!byId.has(ref.value)) byId.set(ref.value, ref);
    }
    const ids = [...byId.keys()];
    if (ids.length === 0) return { refs: [], userIds: [] };
    const foundUsers = new Set<string>();
    const foundGroups = new Set<string>();
    const us = await byIds.findByIds(users, ids, { directoryId: ctx.directoryId }, ['_id']);
    us.forEach((u) => foundUsers.add(u._id));
    const rest = ids.filter((x) => !foundUsers.has(x));
    if (rest.length) {
      const gs = await byIds.findByIds(groups, rest, { directoryId: ctx.directoryId }, ['_id']);
      gs.forEach((g) => foundGroups.add(g._id));
    }
    const missing = ids.filter((x) => !foundUsers.has(x) && !foundGroups.has(x));
    if (missing.length) {
      const shown = missing.slice(0, 5).join(', ');
      throw new InvalidRequest(
        `members refer to ${missing.length} unknown resource(s) in this directory: ${shown}${missing.length > 5 ? ', ...' : ''}`,
        'invalidValue',
      );
    }
    const refs = ids.map((value) => ({
      memberId: value,
      memberType: foundUsers.has(value) ? ('User' as const) : ('Group' as const),
      display: byId.get(value)?.display,
    }));
    return { refs, userIds: ids.filter((x) => foundUsers.has(x)) };
  }

  async function planMembers(ctx: DirectoryContext, groupId: string, delta: MemberDelta) {
    const adds = (delta.add as Array<MemberRef | string>).map((m) => (typeof m === 'string' ? { value: m } : m));
    if (adds.some((m) => m.value === groupId)) throw new InvalidRequest('a group cannot be a member of itself', 'invalidValue');
    const resolved = await resolveMembers(ctx, adds);
    let toRemoveIds: string[] = [];
    let removedUserIds: string[] = [];
    let existingAdds = new Set<string>();
    if (delta.clear) {
      const keep = new Set(resolved.refs.map((r) => r.memberId));
      const current = await memberships
        .find({ directoryId: ctx.directoryId, groupId }, { memberId: 1, memberType: 1 })
        .lean<Array<{ memberId: string; memberType: string }>>();
      for (const m of current) {
        if (keep.has(m.memberId)) existingAdds.add(m.memberId);
        else {
          toRemoveIds.push(m.memberId);
          if (m.memberType === 'User') removedUserIds.push(m.memberId);
        }
      }
    } else {
      const candidates = [...new Set([...delta.remove, ...resolved.refs.map((r) => r.memberId)])];
      const present = new Map<string, string>();
      const rows = await byIds.findByIds(
        memberships,
        candidates.map((m) => membershipId(groupId, m)),
        {},
        ['memberId', 'memberType'],
      );
      rows.forEach((r) => present.set(r.memberId, r.memberType));
      toRemoveIds = [...new Set(delta.remove)].filter((m) => present.has(m));
      removedUserIds = toRemoveIds.filter((m) => present.get(m) === 'User');
      existingAdds = new Set(resolved.refs.map((r) => r.memberId).filter((m) => present.has(m)));
    }
    const toAdd = resolved.refs.filter((r) => !existingAdds.has(r.memberId));
    return { toAdd, toRemove: toRemoveIds, removedUserIds };
  }

  /** Idempotent: a membership's id is derived from (group, member), so re-adding never duplicates. */
  async function insertMemberships(
    ctx: DirectoryContext,
    groupId: string,
    refs: Array<{ memberId: string; memberType: 'User' | 'Group'; display?: string }>,
  ): Promise<number> {
    let inserted = 0;
    const now = new Date();
    for (let i = 0; i < refs.length; i += INSERT_CHUNK) {
      const docs = refs.slice(i, i + INSERT_CHUNK).map((r) => ({
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
        const res = await memberships.collection.insertMany(docs as never[], { ordered: false });
        inserted += res.insertedCount;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const e = err as { result?: { insertedCount?: number }; insertedCount?: number };
        inserted += e.result?.insertedCount ?? e.insertedCount ?? 0;
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
