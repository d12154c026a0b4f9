import type { Model } from 'mongoose';
import type { GroupDoc, MembershipDoc, UserDoc } from './models';
import { inParallel } from '../shared/in-parallel';

/** Nested groups deeper than this are ignored: a cycle or a pathological tree must not hang a worker. */
const MAX_NESTING = 10;

export interface UserForAccess {
  _id: string;
  orgId: string;
  directoryId: string;
  userName: string;
  userNameKey: string;
  active: boolean;
}

/** Direct groups plus every group they are nested in (up to MAX_NESTING levels; cycles end). */
function closeOverNesting(nesting: GroupNesting, direct: string[]): string[] {
  const seen = new Set<string>();
  let frontier = direct;
  for (let depth = 0; depth < MAX_NESTING && frontier.length; depth++) {
    const next: string[] = [];
    for (const g of frontier) {
      if (seen.has(g)) continue;
      seen.add(g);
      next.push(...(nesting.parents.get(g) ?? []));
    }
    frontier = next;
  }
  return [...seen];
}

export interface GroupNesting {
  /** Group id -> the groups it is a member of. */
  parents: Map<string, string[]>;
}

/** Above this many distinct groups, a batch reads the organization's group names in one query. */
const GROUP_NAMES_BY_POINT_READS = 100;

export type PrincipalQueries = ReturnType<typeof createPrincipalQueries>;

/** What the access layer needs to know about directory principals, without touching directory collections itself. */
export function createPrincipalQueries(deps: { users: Model<UserDoc>; groups: Model<GroupDoc>; memberships: Model<MembershipDoc> }) {
  const { users, groups, memberships } = deps;

  async function user(orgId: string, userId: string): Promise<UserForAccess | null> {
    return users
      .findOne({ _id: userId }, { orgId: 1, directoryId: 1, userName: 1, userNameKey: 1, active: 1 })
      .lean<UserForAccess>()
      .then((u) => (u && u.orgId === orgId ? u : null));
  }

  async function usersByUserName(orgId: string, userName: string): Promise<UserForAccess[]> {
    return users
      .find({ orgId, userNameKey: userName.toLowerCase() }, { orgId: 1, directoryId: 1, userName: 1, userNameKey: 1, active: 1 })
      .lean<UserForAccess[]>();
  }

  /**
   * What a batch of recomputes of one organization shares: which groups are members of which (nested
   * groups), read once instead of once per user. Nested groups are few, so this stays small.
   */
  async function groupNesting(orgId: string): Promise<GroupNesting> {
    const parents = new Map<string, string[]>();
    for (const m of await memberships.find({ orgId, memberType: 'Group' }, { groupId: 1, memberId: 1 }).lean<MembershipDoc[]>()) {
      parents.set(m.memberId, [...(parents.get(m.memberId) ?? []), m.groupId]);
    }
    return { parents };
  }

  /** The ids of the groups a user is in, directly or through nesting: one read per user. */
  async function groupIdsOfUser(nesting: GroupNesting, userId: string): Promise<string[]> {
    const direct = (await memberships.find({ memberId: userId }, { groupId: 1 }).lean<Array<{ groupId: string }>>()).map((r) => r.groupId);
    return closeOverNesting(nesting, direct);
  }

  /** Every user of the organization, in one streamed read (for fan-outs over very large groups). */
  async function usersOfOrg(orgId: string): Promise<Map<string, UserForAccess>> {
    const out = new Map<string, UserForAccess>();
    const cursor = users.find({ orgId }, { orgId: 1, directoryId: 1, userName: 1, userNameKey: 1, active: 1 }).lean<UserForAccess>().cursor({ batchSize: 2000 });
    for await (const u of cursor) out.set(u._id, u);
    return out;
  }

  /** The groups each user of the organization is a direct member of, in one streamed read. */
  async function userMembershipsOfOrg(orgId: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const cursor = memberships.find({ orgId, memberType: 'User' }, { groupId: 1, memberId: 1 }).lean<MembershipDoc>().cursor({ batchSize: 2000 });
    for await (const m of cursor) {
      const list = out.get(m.memberId);
      if (list) list.push(m.groupId);
      else out.set(m.memberId, [m.groupId]);
    }
    return out;
  }

  /** How many direct members these groups have, as counted on the groups (a cheap estimate of a fan-out). */
  async function memberCountOf(groupIds: string[]): Promise<number> {
    const found = await inParallel(groupIds, 4, (id) => groups.findOne({ _id: id }, { memberCount: 1 }).lean<{ memberCount?: number }>());
    return found.reduce((n, g) => n + (g?.memberCount ?? 0), 0);
  }

  /**
   * Names of the groups that exist, among `ids`. A few are read one by one; many, as one read of the
   * organization's groups (a recompute of 20 users must not read all 2,000 groups of an initial sync).
   */
  async function groupNames(orgId: string, ids: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    if (ids.length === 0) return names;
    if (ids.length > GROUP_NAMES_BY_POINT_READS) {
      const wanted = new Set(ids);
      for (const g of await groups.find({ orgId }, { displayName: 1 }).lean<Array<{ _id: string; displayName: string }>>()) {
        if (wanted.has(g._id)) names.set(g._id, g.displayName);
      }
      return names;
    }
    const found = await inParallel(ids, 4, (id) => groups.findOne({ _id: id }, { orgId: 1, displayName: 1 }).lean<{ _id: string; orgId: string; displayName: string }>());
    for (const g of found) if (g && g.orgId === orgId) names.set(g._id, g.displayName);
    return names;
  }

  /** Users reached by the groups, including through nested groups. */
  async function userIdsOfGroups(groupIds: string[]): Promise<string[]> {
    const usersFound = new Set<string>();
    const seenGroups = new Set(groupIds);
    let frontier = [...groupIds];
    for (let depth = 0; depth < MAX_NESTING && frontier.length; depth++) {
      const next: string[] = [];
      for (const groupId of frontier) {
        const rows = await memberships.find({ groupId }, { memberId: 1, memberType: 1 }).lean<Array<{ memberId: string; memberType: string }>>();
        for (const r of rows) {
          if (r.memberType === 'User') usersFound.add(r.memberId);
          else if (!seenGroups.has(r.memberId)) {
            seenGroups.add(r.memberId);
            next.push(r.memberId);
          }
        }
      }
      frontier = next;
    }
    return [...usersFound];
  }

  /** The organization's deactivated users: usually few, and both filters are top-level equalities FerretDB pushes down. */
  async function inactiveUserIdsOfOrg(orgId: string): Promise<string[]> {
    return (await users.find({ orgId, active: false }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((u) => u._id);
  }

  async function userIdsOfOrg(orgId: string): Promise<string[]> {
    return (await users.find({ orgId }, { _id: 1 }).lean<Array<{ _id: string }>>()).map((u) => u._id);
  }

  async function groupInOrg(orgId: string, groupId: string): Promise<{ id: string; displayName: string; directoryId: string } | null> {
    const g = await groups.findOne({ _id: groupId }, { orgId: 1, displayName: 1, directoryId: 1 }).lean<GroupDoc>();
    return g && g.orgId === orgId ? { id: g._id, displayName: g.displayName, directoryId: g.directoryId } : null;
  }

  async function groupsByDisplayName(orgId: string, displayName: string, directoryId?: string) {
    const rows = await groups
      .find({ orgId, displayNameKey: displayName.toLowerCase(), ...(directoryId ? { directoryId } : {}) }, { displayName: 1, directoryId: 1 })
      .lean<GroupDoc[]>();
    return rows.map((g) => ({ id: g._id, displayName: g.displayName, directoryId: g.directoryId }));
  }

  return { user, usersByUserName, groupNesting, groupIdsOfUser, closeOverNesting, usersOfOrg, userMembershipsOfOrg, memberCountOf, groupNames, userIdsOfGroups, userIdsOfOrg, inactiveUserIdsOfOrg, groupInOrg, groupsByDisplayName };
}
