import { Redis } from 'ioredis';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on connections that block; the API's own connection
 * keeps the default so a Redis outage fails fast instead of hanging a SCIM request.
 */
export function connectRedis(url: string, opts: { forWorkers?: boolean; forHotPath?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    // The access-check path: concurrent requests share round trips, and a slow Redis is bypassed.
    ...(opts.forHotPath ? { enableAutoPipelining: true, commandTimeout: 250 } : {}),
    enableOfflineQueue: opts.forWorkers ?? false,
    maxRetriesPerRequest: opts.forWorkers ? null : opts.forHotPath ? 0 : 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}
