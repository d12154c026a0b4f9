import type { Container } from '../src/container';
import { startPropagationWorker } from './propagation.worker';
import { startEventsWorker } from './events.worker';
import { createEventsSweeper } from '../src/events/events-sweeper';

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
  const events = startEventsWorker({
    redisUrl: c.config.REDIS_URL,
    prefix: c.config.QUEUE_PREFIX,
    concurrency: c.config.WEBHOOK_CONCURRENCY,
    lockMs: c.config.WORKER_LOCK_MS,
    sequencer: c.events.sequencer,
    webhooks: c.webhooks,
    log: c.log.child({ component: 'events-worker' }),
  });
  const eventsSweeper = createEventsSweeper({
    sequencer: c.events.sequencer,
    queue: c.events.queue,
    webhooks: c.webhooks,
    eventLog: c.events.log,
    cleanup: c.events.cleanup,
    graceMs: c.config.SWEEP_GRACE_MS,
    log: c.log.child({ component: 'events-sweeper' }),
  });
  const stopEventsSweeper = eventsSweeper.start(opts.sweepIntervalMs ?? c.config.SWEEP_INTERVAL_MS);
  return async () => {
    stopSweeper();
    stopEventsSweeper();
    await Promise.all([worker.close(), events.close()]);
  };
}
