import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { changeJobId, PROPAGATION_QUEUE, type JobPayloads } from './jobs';

const FAIR_WINDOW_S = 60;
const MAX_PRIORITY = 2_097_152;

export type PropagationQueue = ReturnType<typeof createPropagationQueue>;

const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 10_000 },
} as const;

/**
 * Enqueueing never blocks or fails a SCIM write: changes are already durable in MongoDB, so a
 * slow or absent Redis only delays propagation until the sweeper re-queues what is pending.
 */
export function createPropagationQueue(deps: { redisUrl: string; redis: Redis; prefix: string; log: Logger }) {
  const queue = new Queue<JobPayloads[keyof JobPayloads]>(PROPAGATION_QUEUE, {
    connection: { url: deps.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 },
    prefix: deps.prefix,
  });
  queue.on('error', (err) => deps.log.debug({ err: err.message }, 'propagation queue error'));

  /**
   * Fairness between tenants: each organization's jobs get a priority that grows with how many it
   * queued in the last FAIR_WINDOW_S seconds. A 100,000-user initial sync sinks behind the single
   * change of a quiet tenant instead of starving it (BullMQ runs lower numbers first).
   */
  async function prioritiesFor(orgId: string, n: number): Promise<number[]> {
    const client = deps.redis;
    const key = `${deps.prefix}:fair:${orgId}`;
    const [[, total]] = (await client.multi().incrby(key, n).expire(key, FAIR_WINDOW_S).exec()) as [[unknown, number]];
    return Array.from({ length: n }, (_, i) => Math.min(MAX_PRIORITY, total - n + i + 1));
  }

  async function enqueueChanges(changes: Array<{ id: string; orgId: string }>): Promise<void> {
    if (changes.length === 0) return;
    const byOrg = new Map<string, Array<{ id: string; orgId: string }>>();
    for (const c of changes) byOrg.set(c.orgId, [...(byOrg.get(c.orgId) ?? []), c]);
    for (const [orgId, list] of byOrg) {
      const priorities = await prioritiesFor(orgId, list.length);
      await queue.addBulk(
        list.map((c, i) => ({
          name: 'apply-change',
          data: { changeId: c.id, orgId: c.orgId },
          opts: { ...JOB_OPTIONS, jobId: changeJobId(c.id), priority: priorities[i] },
        })),
      );
    }
  }

  /** Fire and forget, for request paths. */
  function notify(changes: Array<{ id: string; orgId: string }>): void {
    enqueueChanges(changes).catch((err) =>
      deps.log.warn({ err: (err as Error).message, count: changes.length }, 'could not queue changes; the sweeper will'),
    );
  }

  async function enqueueSlices(changeId: string, orgId: string, slices: string[][], gen: number): Promise<void> {
    const priorities = await prioritiesFor(orgId, slices.length);
    await queue.addBulk(
      slices.map((userIds, i) => ({
        name: 'apply-change-slice',
        data: { changeId, orgId, userIds, gen, index: i },
        opts: { ...JOB_OPTIONS, jobId: `${changeJobId(changeId)}-g${gen}-slice-${i}`, priority: priorities[i] },
      })),
    );
  }

  /**
   * Queues changes again (sweeper, re-drive). A finished job keeps its id for a while and BullMQ
   * ignores a new job with the same id, so a finished job of a still-pending change is removed first.
   */
  async function requeue(changes: Array<{ id: string; orgId: string }>): Promise<void> {
    for (const c of changes) {
      const job = await queue.getJob(changeJobId(c.id));
      if (job && ((await job.isCompleted()) || (await job.isFailed()))) await job.remove().catch(() => undefined);
    }
    await enqueueChanges(changes);
  }

  async function depth(): Promise<Record<string, number>> {
    return queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
  }

  return { queue, enqueueChanges, requeue, notify, enqueueSlices, depth, close: () => queue.close() };
}
