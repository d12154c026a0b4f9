import type { Model } from 'mongoose';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { createChangeApplier, type ChangeApplierDeps } from './apply-change';
import type { ChangeDoc, ChangeSliceDoc } from './change.model';
import { createPropagationQueue } from './queue';
import { createSweeper } from './sweeper';

export type Pipeline = ReturnType<typeof createPipeline>;

/**
 * The propagation pipeline of one process: the queue, the applier the workers run, and the
 * sweeper. Request paths only call `notify` (after their write): a slow or absent Redis delays
 * propagation but never fails a write, since the change is already durable in MongoDB.
 */
export function createPipeline(deps: {
  changes: Model<ChangeDoc>;
  slices: Model<ChangeSliceDoc>;
  redisUrl: string;
  redis: Redis;
  prefix: string;
  sweepGraceMs: number;
  log: Logger;
  applier: Omit<ChangeApplierDeps, 'changes' | 'slices' | 'enqueueSlices' | 'log'>;
}) {
  const queue = createPropagationQueue({ redisUrl: deps.redisUrl, redis: deps.redis, prefix: deps.prefix, log: deps.log });
  const applier = createChangeApplier({
    ...deps.applier,
    changes: deps.changes,
    slices: deps.slices,
    enqueueSlices: queue.enqueueSlices,
    log: deps.log,
  });
  const sweeper = createSweeper({ changes: deps.changes, enqueue: queue.requeue, graceMs: deps.sweepGraceMs, log: deps.log });

  function notify(orgId: string, changeIds: string[]): void {
    queue.notify(changeIds.map((id) => ({ id, orgId })));
  }

  /**
   * Applies changes in the request (admin writes, so an admin's next check sees them), and queues
   * them as well: if applying here fails, the queue or the sweeper finishes the job.
   */
  async function applyNow(orgId: string, changeIds: string[]): Promise<void> {
    notify(orgId, changeIds);
    for (const id of changeIds) {
      try {
        await applier.apply(id, { inline: true });
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, changeId: id }, 'inline apply failed; left to the workers');
      }
    }
  }

  return { queue, applier, sweeper, notify, applyNow, close: () => queue.close() };
}
