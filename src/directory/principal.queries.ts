import type { Model } from 'mongoose';
import type { GroupDoc, MembershipDoc, UserDoc } from './models';

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

export interface GroupIndex {
  names: Map<string, string>;
  /** Group id -> the groups it is a member of. */
  parents: Map<string, string[]>;
}

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

  /** The groups a user is in, directly or through nested groups, with their names. */
  async function groupsOfUser(userId: string): Promise<Array<{ id: string; displayName: string }>> {
    const seen = new Set<string>();
    let frontier = [userId];
    for (let depth = 0; depth < MAX_NESTING && frontier.length; depth++) {
      const next: string[] = [];
      for (const memberId of frontier) {
        const rows = await memberships.find({ memberId }, { groupId: 1 }).lean<Array<{ groupId: string }>>();
        for (const r of rows) {
          if (!seen.has(r.groupId)) {
            seen.add(r.groupId);
            next.push(r.groupId);
          }
        }
      }
      frontier = next;
    }
    const out: Array<{ id: string; displayName: string }> = [];
    for (const id of seen) {
      const g = await groups.findOne({ _id: id }, { displayName: 1 }).lean<{ _id: string; displayName: string }>();
      if (g) out.push({ id: g._id, displayName: g.displayName });
    }
    return out;
  }

  /**
   * What a batch of recomputes of one organization shares: every group's name and which groups are
   * members of which (nested groups), read once instead of once per user.
   */
  async function groupIndex(orgId: string): Promise<GroupIndex> {
    const names = new Map<string, string>();
    for (const g of await groups.find({ orgId }, { displayName: 1 }).lean<Array<{ _id: string; displayName: string }>>()) names.set(g._id, g.displayName);
    const parents = new Map<string, string[]>();
    for (const m of await memberships.find({ orgId, memberType: 'Group' }, { groupId: 1, memberId: 1 }).lean<MembershipDoc[]>()) {
      parents.set(m.memberId, [...(parents.get(m.memberId) ?? []), m.groupId]);
    }
    return { names, parents };
  }

  /** The groups of a user, with nested groups resolved from a shared index: one read per user. */
  async function groupsOfUserIndexed(index: GroupIndex, userId: string): Promise<Array<{ id: string; displayName: string }>> {
    const direct = (await memberships.find({ memberId: userId }, { groupId: 1 }).lean<Array<{ groupId: string }>>()).map((r) => r.groupId);
    const seen = new Set<string>();
    let frontier = direct;
    for (let depth = 0; depth < MAX_NESTING && frontier.length; depth++) {
      const next: string[] = [];
      for (const g of frontier) {
        if (seen.has(g)) continue;
        seen.add(g);
        next.push(...(index.parents.get(g) ?? []));
      }
      frontier = next;
    }
    return [...seen].filter((id) => index.names.has(id)).map((id) => ({ id, displayName: index.names.get(id)! }));
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

  return { user, usersByUserName, groupsOfUser, groupIndex, groupsOfUserIndexed, userIdsOfGroups, userIdsOfOrg, groupInOrg, groupsByDisplayName };
}
