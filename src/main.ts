import { loadConfigOrExit } from './config';
import { createContainer } from './container';
import { buildApp } from './app';
import { startWorkers } from '../workers/run';

/** The API process: config, connections, listening, graceful shutdown. */
async function main() {
  const config = loadConfigOrExit('scim-sync');
  const c = await createContainer(config);
  await c.ensureIndexes();
  const app = buildApp(c);
  const server = app.listen(config.PORT, config.HOST, () => {
    c.log.info({ port: config.PORT, host: config.HOST, scimBaseUrl: c.scimBaseUrl }, 'scim-sync listening');
  });
  server.keepAliveTimeout = 65_000;
  // One-command mode runs the workers in this process; production runs `npm run worker` replicas instead.
  const stopWorkers = config.IN_PROCESS_WORKERS ? startWorkers(c) : null;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    c.log.info({ signal }, 'shutting down');
    server.close();
    await stopWorkers?.().catch(() => undefined);
    await c.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`scim-sync: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
