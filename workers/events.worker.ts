import { Worker, type Job } from 'bullmq';
import type { Logger } from '../src/shared/logger';
import type { Sequencer } from '../src/events/sequencer';
import type { WebhookDeliveries } from '../src/events/webhook-deliveries';
import { EVENTS_QUEUE, type EventJobPayloads } from '../src/events/jobs';

/** An adapter: sequencing and delivery jobs to their services; no rules live here. */
export function startEventsWorker(deps: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockMs: number;
  sequencer: Pick<Sequencer, 'run'>;
  webhooks: Pick<WebhookDeliveries, 'deliver'>;
  log: Logger;
}): Worker {
  const worker = new Worker(
    EVENTS_QUEUE,
    async (job: Job) => {
      switch (job.name) {
        case 'sequence':
          return deps.sequencer.run((job.data as EventJobPayloads['sequence']).orgId);
        case 'deliver': {
          const data = job.data as EventJobPayloads['deliver'];
          await deps.webhooks.deliver(data.deliveryId, data.attempt ?? 1);
          return 'done';
        }
        default:
          deps.log.warn({ jobName: job.name }, 'unknown events job; dropped');
          return 'unknown';
      }
    },
    {
      connection: { url: deps.redisUrl, maxRetriesPerRequest: null },
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      lockDuration: deps.lockMs,
      stalledInterval: Math.max(250, Math.floor(deps.lockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    deps.log.warn({ jobId: job.id, jobName: job.name, err, attempt: job.attemptsMade }, 'events job failed');
  });
  worker.on('error', (err) => deps.log.warn({ err: err.message }, 'events worker error'));
  return worker;
}
