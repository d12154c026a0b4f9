import { Schema, type Connection, type Model } from 'mongoose';

export type ChangeKind =
  | 'user.created'
  | 'user.activated'
  | 'user.deactivated'
  | 'user.deleted'
  | 'membership.changed'
  | 'group.deleted'
  | 'binding.changed'
  | 'role.changed'
  | 'policy.changed';

/**
 * 'staged': a deprovision held by the directory's mass-deprovisioning guard; never queued, swept or
 * applied until an admin approves it (then 'pending'). 'discarded': an admin discarded it; never applied.
 */
export type ChangeStatus = 'pending' | 'applied' | 'failed' | 'staged' | 'discarded';

/**
 * A change that may alter someone's access. It is written before the data it describes
 * (an intent record), so a crash after it leaves something the sweeper re-queues, and a crash
 * before it leaves nothing accepted. Reconciliation is level-triggered: applying a change means
 * recomputing its principals from current state, so applying one whose write never happened is harmless.
 */
export interface ChangeDoc {
  _id: string;
  orgId: string;
  directoryId?: string;
  kind: ChangeKind;
  /** Users whose access must be recomputed. */
  userIds: string[];
  /** Groups whose current members must all be recomputed (fan-out, for bindings on large groups). */
  groupIds: string[];
  /**
   * Groups that joined or left a group (or lost a deleted parent): everyone in them, through any
   * nesting, may gain or lose what the parent grants.
   */
  memberGroupIds?: string[];
  /** A membership change that only added members (nobody left `groupIds`). */
  additionsOnly?: boolean;
  /** Service accounts whose access must be recomputed. */
  serviceAccountIds: string[];
  /** Recompute every principal of the organization (role or policy edits). */
  wholeOrg: boolean;
  status: ChangeStatus;
  acceptedAt: Date;
  appliedAt: Date | null;
  lagMs: number | null;
  attempts: number;
  error: string | null;
  requestId?: string;
  /** Fan-out: how many slices the change was split into, and how many are done. */
  slicesTotal?: number;
  slicesDone?: number;
  /** Each fan-out attempt gets a generation; only its own slices count towards completion. */
  sliceGen?: number;
  /** Last progress of a fan-out; the sweeper leaves a fan-out alone while it progresses. */
  progressAt?: Date | null;
}

export function changeModel(conn: Connection): Model<ChangeDoc> {
  const schema = new Schema<ChangeDoc>(
    {
      _id: String,
      orgId: String,
      directoryId: String,
      kind: String,
      userIds: [String],
      groupIds: [String],
      memberGroupIds: [String],
      additionsOnly: Boolean,
      serviceAccountIds: [String],
      wholeOrg: Boolean,
      status: String,
      acceptedAt: Date,
      appliedAt: Date,
      lagMs: Number,
      attempts: Number,
      error: String,
      requestId: String,
      slicesTotal: Number,
      slicesDone: Number,
      sliceGen: Number,
      progressAt: Date,
    },
    { versionKey: false, _id: false },
  );
  schema.index({ status: 1, acceptedAt: 1 });
  schema.index({ orgId: 1, acceptedAt: -1 });
  schema.index({ orgId: 1, status: 1 });
  return conn.model('Change', schema as Schema, 'changes') as unknown as Model<ChangeDoc>;
}

/**
 * One document per finished slice of a fan-out. Inserting a document is atomic on every
 * MongoDB-wire server; a shared counter is not on FerretDB v1, which lost concurrent `$inc`s.
 */
export interface ChangeSliceDoc {
  _id: string; // `${changeId}|g${gen}|${index}`
  changeId: string;
  gen: number;
  doneAt: Date;
}

export function changeSliceModel(conn: Connection): Model<ChangeSliceDoc> {
  const schema = new Schema<ChangeSliceDoc>({ _id: String, changeId: String, gen: Number, doneAt: Date }, { versionKey: false, _id: false });
  schema.index({ changeId: 1, gen: 1 });
  return conn.model('ChangeSlice', schema as Schema, 'change_slices') as unknown as Model<ChangeSliceDoc>;
}
