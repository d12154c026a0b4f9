import { Redis } from 'ioredis';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on connections that block; the API's own connection
 * keeps the default so a Redis outage fails fast instead of hanging a SCIM request.
 */
export function connectRedis(url: string, opts: { forWorkers?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: opts.forWorkers ?? false,
    maxRetriesPerRequest: opts.forWorkers ? null : 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}
