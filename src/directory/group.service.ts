import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import type { ChangeLog } from '../propagation/change-log';
import type { DirectoryContext } from './context';
import { deepEqual } from './deep-equal';
import { checkIfMatch } from './etag';
import { createGroupMembers, type MemberDelta, type MemberRef } from './group-members';
import { resolveMembershipPlaceholders } from './membership-placeholders';
import type { DirectoryModels, GroupDoc, GroupTombstoneDoc, MembershipDoc, UserDoc } from './models';
import { listPage, type ListOptions } from './list-page';
import type { DirectoryListing } from '../store/directory-listing';
import type { IdLookup } from '../store/id-lookup';
import type { PrincipalRegistry } from './principal-registry';
import type { EventRecorder } from '../events/event-recorder';
import { groupCreated, groupDeleted, groupMembersChanged, groupUpdated, scimOrigin, type MemberChange } from '../events/directory-events';

export type { MemberDelta, MemberRef } from './group-members';
export { membershipId } from './group-members';

/** The attributes of a group other than its members (those are a delta, never a loaded list). */
export interface GroupAttributes {
  displayName: string;
  externalId?: string;
  schemas?: string[];
}

export interface GroupWrite {
  group: GroupDoc;
  changeIds: string[];
  modified: boolean;
}

const MAX_UPDATE_RETRIES = 5;
const ADR_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

export type GroupService = ReturnType<typeof createGroupService>;

export function createGroupService(deps: Pick<DirectoryModels, 'users' | 'groups' | 'memberships' | 'groupTombstones'> & {
  changes: ChangeLog;
  ids: IdLookup;
  listing: DirectoryListing;
  registry: PrincipalRegistry;
  /** The event log: one insert per accepted write, after its data write and before it answers. */
  events?: Pick<EventRecorder, 'record'>;
  log: Logger;
}) {
  const { groups, memberships, groupTombstones, changes, registry } = deps;
  const members = createGroupMembers(deps);
  const pages = { model: groups, kind: 'groups' as const, ids: deps.ids, listing: deps.listing };

  async function get(ctx: DirectoryContext, id: string): Promise<GroupDoc> {
    const doc = await groups.findOne({ _id: id, directoryId: ctx.directoryId }).lean<GroupDoc>();
    if (!doc) throw new NotFound(`Group ${id}`);
    return doc;
  }

  async function list(ctx: DirectoryContext, opts: ListOptions): Promise<{ total: number; groups: GroupDoc[] }> {
    const resolved = await resolveMembershipPlaceholders(opts.query, memberships, ctx.directoryId);
    const { total, docs } = await listPage(pages, ctx.directoryId, { ...opts, query: resolved });
    return { total, groups: docs };
  }

  async function create(ctx: DirectoryContext, attrs: GroupAttributes, memberRefs: MemberRef[]): Promise<GroupWrite> {
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
    const resolved = await members.resolveMembers(ctx, memberRefs);
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
    await deps.listing.added('groups', ctx.directoryId, [doc]);
    const addedIds = new Set(await members.insertMemberships(ctx, doc._id, resolved.refs));
    const added = addedIds.size;
    if (added > 0) {
      await groups.updateOne({ _id: doc._id }, { $set: { memberCount: added } });
      doc.memberCount = added;
    }
    if (deps.events) {
      const origin = scimOrigin(ctx, changeIds[0] ?? null, now);
      const joined = resolved.refs.filter((r) => addedIds.has(r.memberId));
      await deps.events.record([
        ...groupCreated(origin, doc),
        ...groupMembersChanged({ ...origin, at: new Date(now.getTime() + 1) }, doc._id, doc.version, joined, []),
      ]);
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

      const plan = await members.planMembers(ctx, current, delta);
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
      const removed = await members.deleteMemberships(current, plan.toRemove);
      const added = new Set(await members.insertMemberships(ctx, id, plan.toAdd));
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
      if (deps.events) {
        // The version this write made: the guarded attribute update's, else the member update's own increment.
        const version = attrsChanged ? current.version + 1 : (after?.version ?? current.version + 1);
        const origin = scimOrigin(ctx, changeIds[0] ?? null, now);
        const updated = attrsChanged ? groupUpdated(origin, current, { _id: id, displayName: nextFields.displayName, externalId: nextFields.externalId }, version) : [];
        const joined: MemberChange[] = plan.toAdd.filter((m) => added.has(m.memberId));
        const left: MemberChange[] = plan.toRemove.filter((m) => removed.has(m.memberId));
        const membersAt = new Date(now.getTime() + (updated.length ? 1 : 0));
        await deps.events.record([...updated, ...groupMembersChanged({ ...origin, at: membersAt }, id, version, joined, left)]);
      }
      return { group: after ?? current, changeIds, modified: true };
    }
    throw new Conflict('Group', 'the group is being changed concurrently; retry the request');
  }

  async function remove(ctx: DirectoryContext, id: string, ifMatch?: string): Promise<{ changeIds: string[] }> {
    const current = await get(ctx, id);
    checkIfMatch(ifMatch, current.version);
    const principals = await members.principalsIn(ctx, id);
    const memberUserIds = principals.filter((m) => m.memberType === 'User').map((m) => m.memberId);
    const memberGroupIds = principals.filter((m) => m.memberType === 'Group').map((m) => m.memberId);
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
    await members.deleteAllOf(ctx, id);
    await groups.deleteOne({ _id: id, directoryId: ctx.directoryId });
    await deps.listing.removed('groups', ctx.directoryId, [id]);
    await registry.forget([id]);
    await deps.events?.record(groupDeleted(scimOrigin(ctx, changeIds[0] ?? null), current));
    return { changeIds };
  }

  return { get, list, membersOf: members.membersOf, create, update, remove };
}

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
