// What an admin does with a held burst: list it, approve it (the deprovisions take effect at once), or
// discard it (the burst was a mistake: the users are active again, with the access they never lost).
import type { Model } from 'mongoose';
import type { AuditLog } from '../audit/audit.service';
import type { ChangeDoc } from '../propagation/change.model';
import type { ChangeLog } from '../propagation/change-log';
import type { DirectoryContext } from './context';
import type { DeprovisionGuardModels, DeprovisionHoldDoc } from './deprovision-guard.model';
import type { UserDoc } from './models';
import type { UserService } from './user.service';

export interface StagedUser {
  userId: string;
  userName: string;
  kind: DeprovisionHoldDoc['kind'];
  heldAt: Date;
  changeIds: string[];
  requestId: string | null;
}

export interface StagingOutcome {
  /** Users whose held deprovision was approved (applied) or discarded (restored). */
  userIds: string[];
  /** Held users the IdP has changed since, so nothing was left to do but drop the hold (for example reactivated). */
  moot: string[];
  /** Discarded deletes whose userName the IdP has given to a new user since: not restored. */
  notRestored: string[];
}

export type DeprovisionStaging = ReturnType<typeof createDeprovisionStaging>;

export function createDeprovisionStaging(deps: {
  models: Pick<DeprovisionGuardModels, 'holds'>;
  changeDocs: Model<ChangeDoc>;
  changes: Pick<ChangeLog, 'record'>;
  users: Pick<UserService, 'get' | 'update' | 'restore'>;
  /** Denies at once (access checks read it), as an unheld deprovision does. */
  revokeAccessNow: (orgId: string, userId: string) => Promise<void>;
  statusChanged: (userId: string) => Promise<void>;
  notify: (orgId: string, changeIds: string[]) => void;
  audit: Pick<AuditLog, 'record'>;
}) {
  const { holds } = deps.models;

  /** A directory's holds, oldest first: equality on the directory (pushed down on FerretDB), tenant checked on each row, ordered here. */
  async function heldIn(ctx: DirectoryContext): Promise<DeprovisionHoldDoc[]> {
    const rows = await holds.find({ directoryId: ctx.directoryId }).lean<DeprovisionHoldDoc[]>();
    return rows
      .filter((h) => h.orgId === ctx.orgId)
      .sort((a, b) => new Date(a.heldAt).getTime() - new Date(b.heldAt).getTime() || a._id.localeCompare(b._id));
  }

  async function list(ctx: DirectoryContext): Promise<StagedUser[]> {
    return (await heldIn(ctx)).map((h) => ({ userId: h._id, userName: h.userName, kind: h.kind, heldAt: h.heldAt, changeIds: h.changeIds, requestId: h.requestId ?? null }));
  }

  /** How many users each directory of the organization holds (only directories holding any): the console's banner. */
  async function countsOf(orgId: string): Promise<Array<{ directoryId: string; total: number }>> {
    const counts = new Map<string, number>();
    for (const h of await holds.find({ orgId }, { directoryId: 1 }).lean<Array<{ directoryId: string }>>()) counts.set(h.directoryId, (counts.get(h.directoryId) ?? 0) + 1);
    return [...counts].map(([directoryId, total]) => ({ directoryId, total })).sort((a, b) => a.directoryId.localeCompare(b.directoryId));
  }

  /** The holds named (all of the directory's when `userIds` is absent); ids not held here are ignored. */
  async function selected(ctx: DirectoryContext, userIds?: string[]): Promise<DeprovisionHoldDoc[]> {
    if (!userIds) return heldIn(ctx);
    const found = await Promise.all([...new Set(userIds)].map((id) => holds.findOne({ _id: id }).lean<DeprovisionHoldDoc>()));
    return found.filter((h): h is DeprovisionHoldDoc => h !== null && h.orgId === ctx.orgId && h.directoryId === ctx.directoryId);
  }

  async function current(ctx: DirectoryContext, userId: string): Promise<UserDoc | null> {
    return deps.users.get(ctx, userId).catch(() => null);
  }

  async function setStatus(changeIds: string[], status: 'pending' | 'discarded'): Promise<void> {
    for (const id of changeIds) await deps.changeDocs.updateOne({ _id: id, status: 'staged' }, { $set: { status } });
  }

  /**
   * Applies the held deprovisions now: denied at once, then the queued changes recompute the users (keys
   * revoked, access.revoked sent), as if the guard had never held them. A held user the IdP reactivated
   * since is left active.
   */
  async function approve(ctx: DirectoryContext, actor: { id: string; name?: string }, userIds?: string[]): Promise<StagingOutcome> {
    const out: StagingOutcome = { userIds: [], moot: [], notRestored: [] };
    for (const h of await selected(ctx, userIds)) {
      const user = await current(ctx, h._id);
      const stillDeprovisioned = h.kind === 'user.deleted' ? user === null : user !== null && !user.active;
      if (stillDeprovisioned) await deps.revokeAccessNow(ctx.orgId, h._id);
      await holds.deleteOne({ _id: h._id, orgId: ctx.orgId });
      await deps.statusChanged(h._id);
      await setStatus(h.changeIds, stillDeprovisioned ? 'pending' : 'discarded');
      if (stillDeprovisioned) {
        deps.notify(ctx.orgId, h.changeIds);
        out.userIds.push(h._id);
      } else out.moot.push(h._id);
    }
    await audited(ctx, actor, 'directory.deprovision_approved', out);
    return out;
  }

  /**
   * The burst was a mistake: each user is active again (a held delete is restored with its groups), its
   * access untouched all along, and its held changes are never applied. The IdP is not told; its next sync
   * sends the deprovisions again if they were meant (and they are counted again).
   */
  async function discard(ctx: DirectoryContext, actor: { id: string; name?: string }, userIds?: string[]): Promise<StagingOutcome> {
    const out: StagingOutcome = { userIds: [], moot: [], notRestored: [] };
    for (const h of await selected(ctx, userIds)) {
      let restoredChangeIds: string[] = [];
      // Marked first, so the reactivation below (which releases the hold) does not queue them after all.
      await setStatus(h.changeIds, 'discarded');
      // The user is made active before the hold goes, so no moment shows it deprovisioned without a hold.
      const user = await current(ctx, h._id);
      if (user && !user.active) {
        restoredChangeIds = (await deps.users.update({ ...ctx }, h._id, (attrs) => ({ ...attrs, active: true }))).changeIds;
      } else if (!user && h.snapshot) {
        const restored = await deps.users.restore(ctx, h.snapshot);
        if (!restored) out.notRestored.push(h._id);
        else restoredChangeIds = await deps.changes.record({ orgId: ctx.orgId, directoryId: ctx.directoryId, kind: 'user.activated', userIds: [h._id] });
      }
      await holds.deleteOne({ _id: h._id, orgId: ctx.orgId });
      await deps.statusChanged(h._id);
      if (restoredChangeIds.length) deps.notify(ctx.orgId, restoredChangeIds);
      if (!out.notRestored.includes(h._id)) (user?.active ? out.moot : out.userIds).push(h._id);
    }
    await audited(ctx, actor, 'directory.deprovision_discarded', out);
    return out;
  }

  async function audited(ctx: DirectoryContext, actor: { id: string; name?: string }, action: string, out: StagingOutcome): Promise<void> {
    if (out.userIds.length + out.moot.length + out.notRestored.length === 0) return;
    await deps.audit.record({
      orgId: ctx.orgId,
      actor: { type: 'adminKey', id: actor.id, ...(actor.name ? { name: actor.name } : {}) },
      action,
      target: { type: 'directory', id: ctx.directoryId },
      summary: { users: out.userIds.length, userIds: out.userIds.slice(0, 100), moot: out.moot.length, notRestored: out.notRestored.length },
    });
  }

  return { list, countsOf, approve, discard };
}
