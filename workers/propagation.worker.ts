import { Worker, type Job } from 'bullmq';
import type { Logger } from '../src/shared/logger';
import type { ChangeApplier } from '../src/propagation/apply-change';
import { PROPAGATION_QUEUE, type JobPayloads } from '../src/propagation/jobs';

/** An adapter: picks the service call by job name and records the outcome; no rules live here. */
export function startPropagationWorker(deps: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockMs: number;
  applier: ChangeApplier;
  onProcessed?: (outcome: 'completed' | 'failed', jobName: string) => void;
  log: Logger;
}): Worker {
  const worker = new Worker(
    PROPAGATION_QUEUE,
    async (job: Job) => {
      switch (job.name) {
        case 'apply-change': {
          const data = job.data as JobPayloads['apply-change'];
          return deps.applier.apply(data.changeId);
        }
        case 'apply-change-slice': {
          const data = job.data as JobPayloads['apply-change-slice'];
          await deps.applier.applySlice(data.changeId, data.orgId, data.userIds, data.gen ?? 1, data.index ?? 0);
          return 'applied';
        }
        default:
          deps.log.warn({ jobName: job.name }, 'unknown job name; dropped');
          return 'unknown';
      }
    },
    {
      connection: { url: deps.redisUrl, maxRetriesPerRequest: null },
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      // A worker killed mid-job leaves its lock to expire; the job is then retried by another worker.
      lockDuration: deps.lockMs,
      stalledInterval: Math.max(250, Math.floor(deps.lockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('completed', (job) => deps.onProcessed?.('completed', job.name));
  worker.on('failed', (job, err) => {
    if (!job) return;
    deps.onProcessed?.('failed', job.name);
    const log = deps.log.child({ jobId: job.id, jobName: job.name });
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[final ? 'error' : 'warn']({ err: err.message, attempt: job.attemptsMade }, 'propagation job failed');
    if (final && job.name === 'apply-change') {
      void deps.applier.markFailed((job.data as JobPayloads['apply-change']).changeId, err.message).catch(() => undefined);
    }
  });
  worker.on('error', (err) => deps.log.warn({ err: err.message }, 'propagation worker error'));
  return worker;
}
