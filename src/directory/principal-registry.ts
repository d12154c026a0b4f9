import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';

export type PrincipalKind = 'User' | 'Group';

/**
 * Which directory each user and group id belongs to, and as what, kept in Redis so that checking
 * the 1,000 member ids of one IdP PATCH is one round trip instead of 1,000 database reads (FerretDB
 * v1 pushes no `$in` down, so there each id costs an indexed point read).
 *
 * It only ever vouches for ids: an id it does not know is looked up in MongoDB by the caller, so a
 * flushed or unreachable Redis makes member checks slower, never wrong. Ids are never reused and a
 * resource never changes directory, so the one fact that can go stale is a deletion; deleting
 * forgets the id before and after the database delete, and entries expire after `ttlSeconds`, which
 * bounds the one case the forget cannot cover (Redis unreachable at that moment).
 */
export interface PrincipalRegistry {
  /** The ids among `ids` known to be principals of this directory, with their kind. */
  known(directoryId: string, ids: readonly string[]): Promise<Map<string, PrincipalKind>>;
  remember(directoryId: string, entries: ReadonlyArray<readonly [string, PrincipalKind]>): Promise<void>;
  forget(ids: readonly string[]): Promise<void>;
}

const CHUNK = 1000;

export function createPrincipalRegistry(deps: { redis: Redis | null; prefix: string; ttlSeconds: number; log: Logger }): PrincipalRegistry {
  const { redis, log } = deps;
  const keyOf = (id: string) => `${deps.prefix}:principal:${id}`;
  const valueOf = (directoryId: string, kind: PrincipalKind) => `${directoryId}|${kind === 'User' ? 'U' : 'G'}`;

  async function known(directoryId: string, ids: readonly string[]): Promise<Map<string, PrincipalKind>> {
    const out = new Map<string, PrincipalKind>();
    if (!redis || ids.length === 0) return out;
    const asUser = valueOf(directoryId, 'User');
    const asGroup = valueOf(directoryId, 'Group');
    try {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const slice = ids.slice(i, i + CHUNK);
        const values = await redis.mget(...slice.map(keyOf));
        values.forEach((v, j) => {
          if (v === asUser) out.set(slice[j], 'User');
          else if (v === asGroup) out.set(slice[j], 'Group');
        });
      }
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'principal registry unavailable; checking members in the database');
    }
    return out;
  }

  async function remember(directoryId: string, entries: ReadonlyArray<readonly [string, PrincipalKind]>): Promise<void> {
    if (!redis || entries.length === 0) return;
    try {
      const batch = redis.pipeline();
      for (const [id, kind] of entries) batch.set(keyOf(id), valueOf(directoryId, kind), 'EX', deps.ttlSeconds);
      await batch.exec();
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'could not remember principals');
    }
  }

  async function forget(ids: readonly string[]): Promise<void> {
    if (!redis || ids.length === 0) return;
    try {
      for (let i = 0; i < ids.length; i += CHUNK) await redis.del(...ids.slice(i, i + CHUNK).map(keyOf));
    } catch (err) {
      log.warn({ err: (err as Error).message, count: ids.length }, `could not forget deleted principals; they expire within ${deps.ttlSeconds} s`);
    }
  }

  return { known, remember, forget };
}
