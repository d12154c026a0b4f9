import type { Logger } from '../shared/logger';
import type { EventLog } from './event-log';
import type { DeliveryCleanup } from './delivery-cleanup';
import type { EventsQueue } from './events-queue';
import type { Sequencer } from './sequencer';
import type { WebhookDeliveries } from './webhook-deliveries';

const PURGE_EVERY_MS = 3_600_000;

/**
 * The log in MongoDB is the truth; Redis only carries reminders. Every interval this finds what a
 * lost reminder left behind (drafts nobody sequenced, deliveries nobody sent) and queues it again,
 * and now and then deletes events past their retention.
 */
export function createEventsSweeper(deps: {
  sequencer: Pick<Sequencer, 'orgsWithStaleDrafts'>;
  queue: Pick<EventsQueue, 'sequence'>;
  webhooks: Pick<WebhookDeliveries, 'sweep'>;
  eventLog: Pick<EventLog, 'purge'>;
  cleanup?: Pick<DeliveryCleanup, 'purge'>;
  graceMs: number;
  log: Logger;
}) {
  let lastPurge = 0;

  async function sweepOnce(): Promise<{ orgs: number; deliveries: number }> {
    const orgs = await deps.sequencer.orgsWithStaleDrafts(deps.graceMs);
    if (orgs.length) await deps.queue.sequence(orgs);
    const deliveries = await deps.webhooks.sweep();
    if (Date.now() - lastPurge > PURGE_EVERY_MS) {
      lastPurge = Date.now();
      const purged = await deps.eventLog.purge();
      const deliveries = (await deps.cleanup?.purge()) ?? 0;
      if (purged || deliveries) deps.log.info({ purged, deliveries }, 'events and finished deliveries past retention deleted');
    }
    return { orgs: orgs.length, deliveries };
  }

  function start(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      sweepOnce()
        .catch((err) => deps.log.warn({ err }, 'events sweep failed'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  return { sweepOnce, start };
}
