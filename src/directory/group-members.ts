import type { Model } from 'mongoose';
import { InvalidRequest } from '../shared/errors';
import type { IdLookup } from '../store/id-lookup';
import { insertNew } from '../store/insert-new';
import type { DirectoryContext } from './context';
import type { GroupDoc, MembershipDoc, UserDoc } from './models';
import type { PrincipalKind, PrincipalRegistry } from './principal-registry';

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

export interface PlannedMember {
  memberId: string;
  memberType: PrincipalKind;
  display?: string;
}

export interface MemberPlan {
  toAdd: PlannedMember[];
  toRemove: PlannedMember[];
  /** False when the plan is every requested member and only the writes can tell what really changed. */
  exact: boolean;
}

/** Member edits of up to this many ids are planned exactly (one read per id); larger ones from what the writes report. */
const EXACT_PLAN_MAX = 16;
const INSERT_CHUNK = 1000;
/** Member ids unknown to the registry are checked in the database this many at a time. */
const UNKNOWN_CHECK_BATCH = 100;

export type GroupMembers = ReturnType<typeof createGroupMembers>;

/** A group as member planning needs it: its id, and how many memberships a query inside it reads. */
type GroupSize = Pick<GroupDoc, '_id' | 'memberCount'>;

/** The memberships collection: which principals a member id names, what a member delta changes, and the writes. */
export function createGroupMembers(deps: {
  users: Model<UserDoc>;
  groups: Model<GroupDoc>;
  memberships: Model<MembershipDoc>;
  ids: IdLookup;
  registry: PrincipalRegistry;
}) {
  const { users, groups, memberships, ids: byIds, registry } = deps;

  /** Members of one group, in a stable order, read in pages so a 100,000-member group streams. */
  async function membersOf(ctx: DirectoryContext, groupId: string): Promise<MembershipDoc[]> {
    return memberships
      .find({ directoryId: ctx.directoryId, groupId }, { memberId: 1, memberType: 1, display: 1 })
      .sort({ _id: 1 })
      .lean<MembershipDoc[]>();
  }

  /** Every member of one group as the principal it is: what deleting the group changes. */
  async function principalsIn(ctx: DirectoryContext, groupId: string): Promise<Array<{ memberId: string; memberType: PrincipalKind }>> {
    return memberships
      .find({ directoryId: ctx.directoryId, groupId }, { memberId: 1, memberType: 1, _id: 0 })
      .lean<Array<{ memberId: string; memberType: PrincipalKind }>>();
  }

  /** What ids the registry did not know are in this directory (User or Group), from the database; remembered for next time. */
  async function readKinds(ctx: DirectoryContext, ids: string[]): Promise<Array<[string, PrincipalKind]>> {
    if (ids.length === 0) return [];
    const found: Array<[string, PrincipalKind]> = [];
    for (const u of await byIds.findByIds(users, ids, { directoryId: ctx.directoryId }, ['_id'])) found.push([u._id, 'User']);
    const foundUsers = new Set(found.map(([x]) => x));
    const rest = ids.filter((x) => !foundUsers.has(x));
    if (rest.length) for (const g of await byIds.findByIds(groups, rest, { directoryId: ctx.directoryId }, ['_id'])) found.push([g._id, 'Group']);
    await registry.remember(ctx.directoryId, found);
    return found;
  }

  /**
   * Which member ids exist in this directory, and as what; unknown ids are an error the IdP can see.
   * Ids the registry does not know are read in batches, and the first batch with an unknown id ends
   * the check: a request naming 20,000 ids that do not exist is refused after one batch, not after
   * 20,000 reads (the answer says how many ids were checked).
   */
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
    const kinds = await registry.known(ctx.directoryId, ids);
    const rest = ids.filter((x) => !kinds.has(x));
    for (let i = 0; i < rest.length; i += UNKNOWN_CHECK_BATCH) {
      const batch = rest.slice(i, i + UNKNOWN_CHECK_BATCH);
      for (const [x, kind] of await readKinds(ctx, batch)) kinds.set(x, kind);
      const missing = batch.filter((x) => !kinds.has(x));
      if (missing.length) throw unknownMembers(missing, ids.length - rest.length + i + batch.length, ids.length);
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
  async function planMembers(ctx: DirectoryContext, group: GroupSize, delta: MemberDelta): Promise<MemberPlan> {
    const groupId = group._id;
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
      // Removals are planned from the group's own memberships (which also say what each member is),
      // read as the store reads best inside one group; additions from what the writes report.
      const rows = await byIds.findByIds(memberships, removeIds.map((m) => membershipId(groupId, m)), { groupId }, ['memberId', 'memberType'], { size: group.memberCount ?? 0 });
      const toRemove = rows.map((r) => ({ memberId: r.memberId, memberType: r.memberType }));
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
      const already = await insertNew(memberships, docs);
      inserted.push(...chunk.filter((_, k) => !already.has(k)).map((r) => r.memberId));
    }
    return inserted;
  }

  /** Returns the members whose membership existed and is now gone. */
  async function deleteMemberships(group: GroupSize, members: PlannedMember[]): Promise<Set<string>> {
    if (members.length === 0) return new Set<string>();
    const groupId = group._id;
    const deleted = await byIds.deleteByIds(memberships, members.map((m) => membershipId(groupId, m.memberId)), { groupId }, { size: group.memberCount ?? 0 });
    return new Set(deleted.map((mid) => mid.slice(groupId.length + 1)));
  }

  /** Every membership of the group, and every membership that has the group as its member. */
  async function deleteAllOf(ctx: DirectoryContext, groupId: string): Promise<void> {
    await byIds.deleteMatching(memberships, { directoryId: ctx.directoryId, groupId });
    // Nested-group memberships where this group was the member go too.
    await byIds.deleteMatching(memberships, { directoryId: ctx.directoryId, memberId: groupId });
  }

  return { membersOf, principalsIn, resolveMembers, planMembers, insertMemberships, deleteMemberships, deleteAllOf };
}

function unknownMembers(missing: string[], checked: number, requested: number): InvalidRequest {
  const shown = missing.slice(0, 5).join(', ');
  const scope = checked < requested ? ` among the first ${checked} of ${requested} member ids checked (the rest were not checked)` : ` among ${requested} member ids`;
  return new InvalidRequest(
    `members refer to ${missing.length} unknown resource(s) in this directory${scope}: ${shown}${missing.length > 5 ? ', ...' : ''}`,
    'invalidValue',
  );
}

export const membershipId = (groupId: string, memberId: string): string => `${groupId}|${memberId}`;
