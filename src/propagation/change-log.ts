import type { Model } from 'mongoose';
import { newId } from '../shared/ids';
import type { ChangeDoc, ChangeKind } from './change.model';

export interface ChangeInput {
  orgId: string;
  directoryId?: string;
  kind: ChangeKind;
  userIds?: string[];
  groupIds?: string[];
  serviceAccountIds?: string[];
  wholeOrg?: boolean;
  requestId?: string;
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
      serviceAccountIds: i === 0 ? (input.serviceAccountIds ?? []) : [],
      wholeOrg: i === 0 ? (input.wholeOrg ?? false) : false,
      status: 'pending',
      acceptedAt: now,
      appliedAt: null,
      lagMs: null,
      attempts: 0,
      error: null,
      requestId: input.requestId,
    }));
    await deps.changes.insertMany(docs, { ordered: true });
    const ids = docs.map((d) => d._id);
    deps.onRecorded?.(ids);
    return ids;
  }

  async function get(orgId: string, id: string): Promise<ChangeDoc | null> {
    return deps.changes.findOne({ _id: id, orgId }).lean<ChangeDoc>();
  }

  return { record, get };
}
