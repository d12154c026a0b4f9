import { loadConfigOrExit } from '../src/config';
import { createContainer } from '../src/container';
import { startWorkers } from './run';

/**
 * The worker process (`npm run worker`). Safe to run as many replicas as wanted, on many machines:
 * jobs are claimed through BullMQ locks, and every job converges however often it runs.
 */
async function main() {
  const config = loadConfigOrExit('scim-sync worker');
  const c = await createContainer(config);
  await c.ensureIndexes();
  const stop = startWorkers(c);
  c.log.info({ concurrency: config.WORKER_CONCURRENCY, prefix: config.QUEUE_PREFIX }, 'propagation worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    c.log.info({ signal }, 'worker shutting down; finishing running jobs');
    await stop().catch(() => undefined);
    await c.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`scim-sync worker: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
