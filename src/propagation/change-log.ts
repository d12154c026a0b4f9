import type { Model } from 'mongoose';
import { newId } from '../shared/ids';
import type { ChangeDoc, ChangeKind } from './change.model';

export interface ChangeInput {
  orgId: string;
  directoryId?: string;
  kind: ChangeKind;
  userIds?: string[];
  groupIds?: string[];
  memberGroupIds?: string[];
  additionsOnly?: boolean;
  serviceAccountIds?: string[];
  wholeOrg?: boolean;
  requestId?: string;
  /** Held by the mass-deprovisioning guard: recorded as 'staged', for no worker or sweeper to apply. */
  staged?: boolean;
}

/** Large membership edits are split so no change document approaches the 16 MB cap. */
const MAX_IDS_PER_CHANGE = 5000;

export type ChangeLog = ReturnType<typeof createChangeLog>;

export function createChangeLog(deps: { changes: Model<ChangeDoc>; onRecorded?: (ids: string[]) => void }) {
  /** Records one or more pending changes; returns their ids (the first is the one to report). */
  async function record(input: ChangeInput): Promise<string[]> {
    const userIds = input.userIds ?? [];
    const chunks: string[][] = [];
    for (let i = 0; i < userIds.length; i += MAX_IDS_PER_CHANGE) chunks.push(userIds.slice(i, i + MAX_IDS_PER_CHANGE));
    if (chunks.length === 0) chunks.push([]);
    const now = new Date();
    const docs: ChangeDoc[] = chunks.map((ids, i) => ({
      _id: newId(),
      orgId: input.orgId,
      directoryId: input.directoryId,
      kind: input.kind,
      userIds: ids,
      groupIds: i === 0 ? (input.groupIds ?? []) : [],
      ...(i === 0 && input.memberGroupIds?.length ? { memberGroupIds: input.memberGroupIds } : {}),
      ...(input.additionsOnly ? { additionsOnly: true } : {}),
      serviceAccountIds: i === 0 ? (input.serviceAccountIds ?? []) : [],
      wholeOrg: i === 0 ? (input.wholeOrg ?? false) : false,
      status: input.staged ? 'staged' : 'pending',
      acceptedAt: now,
      appliedAt: null,
      lagMs: null,
      attempts: 0,
      error: null,
      requestId: input.requestId,
    }));
    await deps.changes.insertMany(docs, { ordered: true });
    const ids = docs.map((d) => d._id);
    if (!input.staged) deps.onRecorded?.(ids);
    return ids;
  }

  /**
   * A write that recorded a superset of whom it might touch (before knowing which of 1,000 members
   * were already there) narrows its changes to whom it did touch, before they are queued. The
   * superset was safe to apply all along (reconciliation is level-triggered); this only saves work.
   */
  async function narrow(changeIds: string[], recorded: ChangeInput, touched: { userIds: Set<string>; memberGroupIds: string[] }): Promise<void> {
    const userIds = recorded.userIds ?? [];
    for (let i = 0; i < changeIds.length; i++) {
      const chunk = userIds.slice(i * MAX_IDS_PER_CHANGE, (i + 1) * MAX_IDS_PER_CHANGE);
      const kept = chunk.filter((u) => touched.userIds.has(u));
      const groupsChanged = i === 0 && touched.memberGroupIds.length !== (recorded.memberGroupIds?.length ?? 0);
      if (kept.length === chunk.length && !groupsChanged) continue;
      await deps.changes.updateOne(
        { _id: changeIds[i], status: 'pending' },
        { $set: { userIds: kept, ...(i === 0 ? { memberGroupIds: touched.memberGroupIds } : {}) } },
      );
    }
  }

  /** Drops changes recorded for a write that turned out to change nothing (they were never queued). */
  async function discard(changeIds: string[]): Promise<void> {
    for (const id of changeIds) await deps.changes.deleteOne({ _id: id, status: 'pending' });
  }

  async function get(orgId: string, id: string): Promise<ChangeDoc | null> {
    return deps.changes.findOne({ _id: id, orgId }).lean<ChangeDoc>();
  }

  return { record, narrow, discard, get };
}
