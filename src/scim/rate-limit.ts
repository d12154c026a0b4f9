import { TooManyRequests } from '../shared/errors';

/**
 * A token bucket per directory, per process. Entra sends up to 25 requests/s per tenant and Okta
 * fewer; the limit exists so one runaway connection cannot starve the others. Hitting it answers
 * 429 with an integer Retry-After, which both IdPs honour.
 */
export function createDirectoryRateLimiter(opts: { perSecond: number; burst: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();

  return function take(directoryId: string, now = Date.now()): void {
    if (opts.perSecond <= 0) return;
    const b = buckets.get(directoryId) ?? { tokens: opts.burst, at: now };
    b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 1000) * opts.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      buckets.set(directoryId, b);
      throw new TooManyRequests(Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond)));
    }
    b.tokens -= 1;
    buckets.set(directoryId, b);
  };
}
