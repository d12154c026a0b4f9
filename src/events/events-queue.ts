import { Queue } from 'bullmq';
import type { Logger } from '../shared/logger';
import { EVENTS_QUEUE, deliverJobId, type EventJobPayloads } from './jobs';

export type EventsQueue = ReturnType<typeof createEventsQueue>;

const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { count: 10_000 } } as const;

/**
 * Queueing never fails a write: drafts and deliveries are durable in MongoDB first, and the events
 * sweeper finds what a lost or absent Redis never ran.
 */
export function createEventsQueue(deps: { redisUrl: string; prefix: string; log: Logger }) {
  const queue = new Queue<EventJobPayloads[keyof EventJobPayloads]>(EVENTS_QUEUE, {
    connection: { url: deps.redisUrl, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 },
    prefix: deps.prefix,
  });
  queue.on('error', (err) => deps.log.debug({ err: err.message }, 'events queue error'));

  async function sequence(orgIds: string[]): Promise<void> {
    const unique = [...new Set(orgIds)];
    if (unique.length === 0) return;
    await queue.addBulk(unique.map((orgId) => ({ name: 'sequence', data: { orgId }, opts: { ...JOB_OPTIONS, attempts: 5, backoff: { type: 'exponential', delay: 200 } } })));
  }

  /** Fire and forget, for request paths. */
  function notifySequence(orgIds: string[]): void {
    sequence(orgIds).catch((err) => deps.log.warn({ err: (err as Error).message }, 'could not queue event sequencing; the sweeper will'));
  }

  /** One delivery attempt, now or after `delayMs`. Attempt numbers keep a retry distinct from the job that scheduled it. */
  async function deliver(deliveryId: string, attempt: number, delayMs = 0): Promise<void> {
    await queue.add('deliver', { deliveryId, attempt }, { ...JOB_OPTIONS, jobId: deliverJobId(deliveryId, attempt), delay: Math.max(0, delayMs), attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
  }

  async function deliverMany(items: Array<{ deliveryId: string; attempt: number; delayMs?: number }>): Promise<void> {
    if (items.length === 0) return;
    await queue.addBulk(
      items.map((i) => ({
        name: 'deliver',
        data: { deliveryId: i.deliveryId, attempt: i.attempt },
        opts: { ...JOB_OPTIONS, jobId: deliverJobId(i.deliveryId, i.attempt), delay: Math.max(0, i.delayMs ?? 0), attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
      })),
    );
  }

  return { queue, sequence, notifySequence, deliver, deliverMany, close: () => queue.close() };
}
