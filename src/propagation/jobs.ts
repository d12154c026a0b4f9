/** Queue and job names, and the payload each job carries: ids only, never state. */
export const PROPAGATION_QUEUE = 'propagation';

export interface JobPayloads {
  /** Recompute the access of every principal one recorded change touches, then mark it applied. */
  'apply-change': { changeId: string; orgId: string };
  /** Recompute one slice of a large change (fan-out), so one change never holds a worker for minutes. */
  'apply-change-slice': { changeId: string; orgId: string; userIds: string[]; gen?: number; index?: number };
}

export type JobName = keyof JobPayloads;

/** BullMQ custom job ids may not contain ':' (it is Redis's key separator there). */
export const changeJobId = (changeId: string): string => `change-${changeId}`;
