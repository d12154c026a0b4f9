import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import type { ChangeDoc } from './change.model';

/**
 * Finds changes that were accepted but are still pending after a grace period, and queues them
 * again. This is what makes a Redis flush, a restart or a crash between "recorded" and "queued"
 * harmless: MongoDB is the source of truth for what must still be applied. Queue job ids are the
 * change ids, so re-queuing a change that is still queued adds nothing.
 */
/** A fan-out with no finished slice for this long is started again. */
const FANOUT_STALL_MS = 60_000;

export function createSweeper(deps: {
  changes: Model<ChangeDoc>;
  enqueue: (changes: Array<{ id: string; orgId: string }>) => Promise<void>;
  graceMs: number;
  log: Logger;
}) {
  async function sweepOnce(now = Date.now()): Promise<number> {
    const stale = await deps.changes
      .find(
        {
          status: 'pending',
          acceptedAt: { $lt: new Date(now - deps.graceMs) },
          // A fan-out whose slices still make progress is left alone.
          $or: [{ progressAt: null }, { progressAt: { $lt: new Date(now - FANOUT_STALL_MS) } }],
        },
        { orgId: 1 },
      )
      .sort({ acceptedAt: 1 })
      .limit(5000)
      .lean<Array<{ _id: string; orgId: string }>>();
    if (stale.length === 0) return 0;
    await deps.enqueue(stale.map((c) => ({ id: c._id, orgId: c.orgId })));
    deps.log.info({ count: stale.length }, 'sweeper re-queued pending changes');
    return stale.length;
  }

  function start(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      sweepOnce()
        .catch((err) => deps.log.warn({ err: (err as Error).message }, 'sweep failed'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  return { sweepOnce, start };
}
