import type { Container } from '../src/container';
import { startPropagationWorker } from './propagation.worker';

/**
 * Starts the propagation workers and the sweeper of one process (the worker process, or the API
 * process in one-command mode). Returns a graceful stop: running jobs finish, nothing new starts.
 */
export function startWorkers(c: Container, opts: { concurrency?: number; sweepIntervalMs?: number } = {}): () => Promise<void> {
  const worker = startPropagationWorker({
    redisUrl: c.config.REDIS_URL,
    prefix: c.config.QUEUE_PREFIX,
    concurrency: opts.concurrency ?? c.config.WORKER_CONCURRENCY,
    lockMs: c.config.WORKER_LOCK_MS,
    onProcessed: (outcome, job) => c.metrics.countJob(job, outcome),
    applier: c.pipeline.applier,
    log: c.log.child({ component: 'worker' }),
  });
  const stopSweeper = c.pipeline.sweeper.start(opts.sweepIntervalMs ?? c.config.SWEEP_INTERVAL_MS);
  return async () => {
    stopSweeper();
    await worker.close();
  };
}
