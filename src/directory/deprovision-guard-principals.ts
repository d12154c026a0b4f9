// What the access layer reads about users, with held deprovisions undone: a user whose deactivation or
// deletion is held counts as active (with the groups it had), so neither access checks nor any recompute
// (a binding edit, a whole-organization role change) applies the held deprovision behind the admin's back.
import type { Model } from 'mongoose';
import type { DeprovisionHoldDoc } from './deprovision-guard.model';
import type { PrincipalQueries, UserForAccess } from './principal.queries';

export function heldAwarePrincipals(base: PrincipalQueries, holds: Model<DeprovisionHoldDoc>): PrincipalQueries {
  const asUser = (h: DeprovisionHoldDoc): UserForAccess => ({
    _id: h._id,
    orgId: h.orgId,
    directoryId: h.directoryId,
    userName: h.userName,
    userNameKey: h.userNameKey,
    active: true,
  });

  // Holds are read only when the directory says inactive or gone: active users, the hot path, cost nothing extra.
  async function user(orgId: string, userId: string): Promise<UserForAccess | null> {
    const u = await base.user(orgId, userId);
    if (u?.active) return u;
    const h = await holds.findOne({ _id: userId }).lean<DeprovisionHoldDoc>();
    if (!h || h.orgId !== orgId) return u;
    return u ? { ...u, active: true } : asUser(h);
  }

  async function usersByUserName(orgId: string, userName: string): Promise<UserForAccess[]> {
    const found = await base.usersByUserName(orgId, userName);
    if (found.length > 0 && found.every((u) => u.active)) return found;
    const held = await holds.find({ orgId, userNameKey: userName.toLowerCase() }).lean<DeprovisionHoldDoc[]>();
    if (held.length === 0) return found;
    const heldIds = new Set(held.map((h) => h._id));
    const out = found.map((u) => (heldIds.has(u._id) ? { ...u, active: true } : u));
    for (const h of held) if (!found.some((u) => u._id === h._id)) out.push(asUser(h));
    return out;
  }

  async function groupIdsOfUser(nesting: Parameters<PrincipalQueries['groupIdsOfUser']>[0], userId: string): Promise<string[]> {
    const ids = await base.groupIdsOfUser(nesting, userId);
    if (ids.length > 0) return ids;
    // A held delete removed the memberships; the hold remembers them.
    const h = await holds.findOne({ _id: userId }, { snapshot: 1 }).lean<DeprovisionHoldDoc>();
    return h?.snapshot ? base.closeOverNesting(nesting, h.snapshot.groupIds) : ids;
  }

  async function heldOfOrg(orgId: string): Promise<DeprovisionHoldDoc[]> {
    return holds.find({ orgId }).lean<DeprovisionHoldDoc[]>();
  }

  async function usersOfOrg(orgId: string): Promise<Map<string, UserForAccess>> {
    const [all, held] = await Promise.all([base.usersOfOrg(orgId), heldOfOrg(orgId)]);
    for (const h of held) {
      const u = all.get(h._id);
      all.set(h._id, u ? { ...u, active: true } : asUser(h));
    }
    return all;
  }

  async function userMembershipsOfOrg(orgId: string): Promise<Map<string, string[]>> {
    const [all, held] = await Promise.all([base.userMembershipsOfOrg(orgId), heldOfOrg(orgId)]);
    for (const h of held) if (h.snapshot && !all.has(h._id)) all.set(h._id, [...h.snapshot.groupIds]);
    return all;
  }

  return { ...base, user, usersByUserName, groupIdsOfUser, usersOfOrg, userMembershipsOfOrg };
}
