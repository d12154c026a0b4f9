import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './logger';

/**
 * A per-process read-through cache whose entries are validated on every read against a freshness
 * tag kept in Redis, shared by every instance. A writer replaces the tag after its MongoDB write
 * (`invalidate`), so from the moment the write is acknowledged no instance serves the old value:
 * there is no window in which an invalidation message is still in flight, and a fill that raced a
 * write is stored under the tag read before the load, which the write has already replaced.
 *
 * Each hit costs one Redis round trip instead of one database read (auto-pipelined, so concurrent
 * checks share it). When Redis does not answer, reads bypass the cache and go to the database:
 * slower, never stale. Entries also expire after `ttlMs`, which bounds staleness in the one case the
 * tags cannot see: a writer that could not reach Redis while its readers could.
 */
export interface FreshCache {
  read<T extends object>(kind: string, id: string, load: () => Promise<T | null>): Promise<T | null>;
  /** Call after the database write: every instance reloads these entries on their next read. */
  invalidate(kind: string, ids: readonly string[]): Promise<void>;
  readonly enabled: boolean;
  /** Reads since start: served from memory, loaded, or loaded because Redis did not answer. */
  counts(): { hit: number; miss: number; bypass: number };
}

const TAG_SECONDS = 24 * 3600;

export function createFreshCache(deps: { redis: Redis | null; prefix: string; ttlMs: number; maxEntries: number; log: Logger }): FreshCache {
  const { redis, ttlMs, maxEntries, log } = deps;
  const enabled = Boolean(redis) && ttlMs > 0;
  const entries = new Map<string, { tag: string; value: object; until: number }>();
  const tagKey = (kind: string, id: string) => `${deps.prefix}:tag:${kind}:${id}`;
  const counted = { hit: 0, miss: 0, bypass: 0 };

  /** The current tag, minted when absent (first use, expired, or Redis lost its data). */
  async function currentTag(key: string): Promise<string | null> {
    const tag = await redis!.get(key);
    if (tag !== null) return tag;
    const minted = randomBytes(8).toString('hex');
    const set = await redis!.set(key, minted, 'EX', TAG_SECONDS, 'NX');
    return set === 'OK' ? minted : redis!.get(key);
  }

  async function read<T extends object>(kind: string, id: string, load: () => Promise<T | null>): Promise<T | null> {
    if (!enabled) return load();
    const key = tagKey(kind, id);
    let tag: string | null;
    try {
      tag = await currentTag(key);
    } catch {
      tag = null;
    }
    if (tag === null) {
      counted.bypass += 1;
      return load();
    }
    const hit = entries.get(key);
    const now = Date.now();
    if (hit && hit.tag === tag && hit.until > now) {
      counted.hit += 1;
      return hit.value as T;
    }
    counted.miss += 1;
    const value = await load();
    if (value === null) {
      entries.delete(key);
      return null;
    }
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, { tag, value, until: now + ttlMs });
    return value;
  }

  async function invalidate(kind: string, ids: readonly string[]): Promise<void> {
    if (!redis || ids.length === 0) return;
    for (const id of ids) entries.delete(tagKey(kind, id));
    try {
      const batch = redis.pipeline();
      for (const id of ids) batch.set(tagKey(kind, id), randomBytes(8).toString('hex'), 'EX', TAG_SECONDS);
      const results = await batch.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      // Other instances keep their entries until ttlMs at most; readers that cannot reach Redis bypass.
      log.warn({ err: (err as Error).message, kind, count: ids.length }, 'could not invalidate cached entries');
    }
  }

  return { read, invalidate, enabled, counts: () => ({ ...counted }) };
}
