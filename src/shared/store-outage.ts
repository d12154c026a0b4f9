import { type BackingStore, type OutageStage, ServiceUnavailable } from './errors';
import { mongoFailureStage } from './mongo';

/**
 * Which errors mean a backing store failed a request rather than rejecting it, and what a 503 may
 * honestly say about them. Both edges (SCIM and the admin API) answer with these words, so what is
 * promised about a failed write is decided here once.
 */
export interface StoreOutage {
  store: BackingStore;
  stage: OutageStage;
}

/** Long enough for a restarting server or a failover; IdPs retry 503s on their own schedule anyway. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

export function storeOutageOf(err: unknown): StoreOutage | null {
  if (err instanceof ServiceUnavailable) return { store: err.store, stage: err.stage };
  const redis = redisFailureStage(err);
  if (redis) return { store: 'redis', stage: redis };
  const mongo = mongoFailureStage(err);
  return mongo ? { store: 'mongodb', stage: mongo } : null;
}

/**
 * `nothingChanged` is the caller's knowledge, never the error's: one error speaks for its own command,
 * and a request may have written before it (see mongoFailureStage). A safe method (GET) knows it.
 */
export function outageDetail(outage: StoreOutage, opts: { nothingChanged?: boolean } = {}): string {
  const store = outage.store === 'redis' ? 'the change queue (Redis)' : 'the directory database';
  if (opts.nothingChanged) return `${store} cannot be reached; nothing was changed. Retry later.`;
  const what =
    outage.stage === 'interrupted'
      ? `the connection to ${store} broke during this request, so any write it made may have been stored in full or in part.`
      : `${store} cannot be reached; retry later.`;
  // Writes to a resource by id (PUT, PATCH, DELETE) apply once however often they arrive; a create
  // mints a new id, so a second POST of a group or key that did land makes a second one.
  return `${what} Retrying the same request is safe for a write to a resource by id (it applies once); a create may already have landed, so look the resource up before sending it again.`;
}

/**
 * ioredis: a command on a connection that closed or timed out may have run; one refused at once
 * (no offline queue while disconnected) or answered "not ready" by the server did not.
 */
function redisFailureStage(err: unknown): OutageStage | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { name?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (message.startsWith("Stream isn't writeable and enableOfflineQueue options is false")) return 'unreachable';
  if (name === 'ReplyError' && /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/.test(message)) return 'unreachable';
  if (name === 'MaxRetriesPerRequestError' || message === 'Connection is closed.' || message === 'Command timed out') return 'interrupted';
  return null;
}
