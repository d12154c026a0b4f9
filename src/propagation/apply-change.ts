import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import type { ChangeDoc, ChangeSliceDoc } from './change.model';
import { isDuplicateKey } from '../shared/mongo';

/** Principals are recomputed in slices of this size; larger changes fan out as separate jobs. */
export const SLICE_SIZE = 500;
/**
 * From this many users on (as the groups count their members), a change is recomputed in one streamed
 * pass over the organization instead of slices; so is every whole-organization change.
 */
export const BULK_RECOMPUTE_MIN = 10_000;

export interface ChangeApplierDeps {
  changes: Model<ChangeDoc>;
  slices: Model<ChangeSliceDoc>;
  /** Current user members of the groups (a binding on a group reaches all of them). */
  userIdsOfGroups: (orgId: string, groupIds: string[]) => Promise<string[]>;
  userIdsOfOrg: (orgId: string) => Promise<string[]>;
  serviceAccountIdsOfOrg?: (orgId: string) => Promise<string[]>;
  /** Level-triggered: recompute from current state; running it twice or late converges. */
  reconcileUser: (orgId: string, userId: string, changeId: string) => Promise<void>;
  /** Many users at once, sharing the organization-wide reads (fan-out slices). */
  reconcileUsers?: (orgId: string, userIds: string[], changeId: string) => Promise<void>;
  /** Very many users at once, reading the organization in one pass instead of each user (fan-outs over huge groups). */
  reconcileUsersBulk?: (
    orgId: string,
    target: { userIds: string[]; groupIds: string[]; wholeOrg: boolean },
    changeId: string,
    onProgress: () => Promise<void>,
  ) => Promise<void>;
  /** Direct members of these groups as counted on them: whether a fan-out is large enough for the bulk pass. */
  memberCountOf?: (groupIds: string[]) => Promise<number>;
  reconcileServiceAccount?: (orgId: string, serviceAccountId: string, changeId: string) => Promise<void>;
  /** Whether any binding names one of these groups or a group they are nested in (as of now). */
  groupsGrantAnything?: (orgId: string, groupIds: string[]) => Promise<boolean>;
  enqueueSlices: (changeId: string, orgId: string, slices: string[][], gen: number) => Promise<void>;
  onApplied?: (change: ChangeDoc, lagMs: number) => void;
  log: Logger;
}

export type ChangeApplier = ReturnType<typeof createChangeApplier>;

export function createChangeApplier(deps: ChangeApplierDeps) {
  const { changes } = deps;

  /**
   * `inline`: applied inside a request (admin writes, so the admin's next check sees them). A change
   * that needs the bulk pass is then left to its queued job: a request must not run for a minute, and
   * the job would otherwise do the same pass again beside it.
   */
  async function apply(changeId: string, opts: { inline?: boolean } = {}): Promise<'applied' | 'already-applied' | 'fanned-out' | 'deferred' | 'missing' | 'held'> {
    const change = await changes.findOne({ _id: changeId }).lean<ChangeDoc>();
    if (!change) return 'missing';
    if (change.status === 'applied') return 'already-applied';
    // A held deprovision waits for an admin; a job that finds one (queued by hand, or before it was held) leaves it.
    if (change.status === 'staged' || change.status === 'discarded') return 'held';
    try {
      return await applyPending(change, opts.inline ?? false);
    } catch (err) {
      // The applied path counts its attempt in the same write that marks it applied; a failed one here.
      await changes.updateOne({ _id: changeId }, { $inc: { attempts: 1 }, $set: { error: (err as Error).message } }).catch(() => undefined);
      throw err;
    }
  }

  async function applyPending(change: ChangeDoc, inline: boolean): Promise<'applied' | 'fanned-out' | 'deferred'> {
    const changeId = change._id;
    if (change.kind === 'membership.changed' && change.additionsOnly && deps.groupsGrantAnything && !(await deps.groupsGrantAnything(change.orgId, change.groupIds))) {
      // Joining a group that no binding reaches (directly or through a parent) changes nobody's access;
      // a binding made later fans out over the members it finds then, these included. An IdP's
      // initial push of hundreds of unmapped groups costs no recompute at all.
      await markApplied(change);
      return 'applied';
    }
    const serviceAccounts = new Set(change.serviceAccountIds);
    if (change.wholeOrg && deps.serviceAccountIdsOfOrg) {
      for (const id of await deps.serviceAccountIdsOfOrg(change.orgId)) serviceAccounts.add(id);
    }
    for (const id of serviceAccounts) await deps.reconcileServiceAccount?.(change.orgId, id, changeId);

    // Groups whose members (through any nesting) must all be recomputed.
    const viaGroups = [
      ...(change.kind !== 'membership.changed' && change.kind !== 'group.deleted' ? change.groupIds : []),
      ...(change.memberGroupIds ?? []),
    ];
    const bigFanOut = Boolean(deps.reconcileUsersBulk) && viaGroups.length > 0 && change.userIds.length + ((await deps.memberCountOf?.(viaGroups)) ?? 0) >= BULK_RECOMPUTE_MIN;
    if (bigFanOut && inline) return 'deferred';
    // Inline, a whole-organization change takes the ordinary path (slices are queued quickly when it is large).
    if (deps.reconcileUsersBulk && !inline && (bigFanOut || change.wholeOrg)) {
      // Slices would each pay two point reads per user; one pass over the organization is cheaper from here
      // on. The job keeps its lock while it runs; if its worker dies, the retried job simply starts again.
      await deps.reconcileUsersBulk(change.orgId, { userIds: change.userIds, groupIds: viaGroups, wholeOrg: change.wholeOrg }, changeId, async () => {
        await changes.updateOne({ _id: changeId }, { $set: { progressAt: new Date() } });
      });
      await markApplied(change);
      return 'applied';
    }
    const userIds = new Set(change.userIds);
    if (viaGroups.length) for (const id of await deps.userIdsOfGroups(change.orgId, viaGroups)) userIds.add(id);
    if (change.wholeOrg) for (const id of await deps.userIdsOfOrg(change.orgId)) userIds.add(id);

    const all = [...userIds];
    if (all.length > SLICE_SIZE) {
      const slices: string[][] = [];
      for (let i = 0; i < all.length; i += SLICE_SIZE) slices.push(all.slice(i, i + SLICE_SIZE));
      // A re-run (sweeper, after slices were lost) starts a new generation; late slices of the old one no longer count.
      const gen = (change.sliceGen ?? 0) + 1;
      await changes.updateOne({ _id: changeId }, { $set: { slicesTotal: slices.length, slicesDone: 0, sliceGen: gen, progressAt: new Date() } });
      await deps.enqueueSlices(changeId, change.orgId, slices, gen);
      return 'fanned-out';
    }
    await reconcileAll(change.orgId, all, changeId);
    await markApplied(change);
    return 'applied';
  }

  async function applySlice(changeId: string, orgId: string, userIds: string[], gen = 1, index = 0): Promise<void> {
    await reconcileAll(orgId, userIds, changeId);
    try {
      await deps.slices.collection.insertOne({ _id: `${changeId}|g${gen}|${index}`, changeId, gen, doneAt: new Date() } as never);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // a retried slice counts once
    }
    await changes.updateOne({ _id: changeId }, { $set: { progressAt: new Date() } });
    const change = await changes.findOne({ _id: changeId }).lean<ChangeDoc>();
    if (!change || change.status === 'applied' || change.sliceGen !== gen) return;
    const done = await deps.slices.countDocuments({ changeId, gen });
    if (done >= (change.slicesTotal ?? 0)) await markApplied(change);
  }

  async function reconcileAll(orgId: string, userIds: string[], changeId: string): Promise<void> {
    if (userIds.length > 1 && deps.reconcileUsers) return deps.reconcileUsers(orgId, userIds, changeId);
    for (const id of userIds) await deps.reconcileUser(orgId, id, changeId);
  }

  async function markApplied(change: ChangeDoc): Promise<void> {
    const appliedAt = new Date();
    const lagMs = appliedAt.getTime() - new Date(change.acceptedAt).getTime();
    const res = await changes.updateOne(
      { _id: change._id, status: { $ne: 'applied' } },
      { $set: { status: 'applied', appliedAt, lagMs, error: null }, $inc: { attempts: 1 } },
    );
    if (res.modifiedCount === 1) deps.onApplied?.(change, lagMs);
  }

  async function markFailed(changeId: string, error: string): Promise<void> {
    await changes.updateOne({ _id: changeId, status: 'pending' }, { $set: { status: 'failed', error } });
  }

  return { apply, applySlice, markFailed };
}
