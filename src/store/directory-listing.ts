import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import type { StoreBackend } from './backend';

export type ListedKind = 'users' | 'groups';

/** One resource as the listing orders it: creation time, then id (the default SCIM list order). */
export interface ListedEntry {
  _id: string;
  createdAt: Date;
}

export interface ListingPage {
  /** How many resources of the kind the directory holds. */
  total: number;
  /** The ids at positions [skip, skip + limit) in creation order. */
  ids: string[];
}

/**
 * Unfiltered SCIM list pages (Okta's import and Entra's pagination walk them) in creation order.
 *
 * MongoDB answers them itself from the (directoryId, createdAt, _id) index: `countDocuments` and a
 * `skip` walk index keys only, so `page` returns null and the caller queries. FerretDB v1 pushes no
 * sort, no range and no limit-with-filter down to PostgreSQL: a page of 100 out of 100,000 users
 * fetched and sorted all 100,000 (27 s), and counting them took 21 s. There the order is kept in a
 * Redis sorted set per directory (score: creation time; ties by id, as MongoDB sorts), so a page is
 * ZCARD + ZRANGE and the caller then reads 100 documents by id.
 *
 * The set is derived data: built from the database when missing (first use, Redis flushed or
 * restarted; that one request waits for the build), rebuilt beside the requests every READY_TTL_S
 * and after any update that could not be written, and written after each create and delete. Ids it
 * lists that the database no longer has are dropped as the caller finds them (`removed`).
 */
export interface DirectoryListing {
  page(kind: ListedKind, directoryId: string, skip: number, limit: number, loadAll: () => Promise<ListedEntry[]>): Promise<ListingPage | null>;
  added(kind: ListedKind, directoryId: string, entries: ListedEntry[]): Promise<void>;
  removed(kind: ListedKind, directoryId: string, ids: string[]): Promise<void>;
  /** Drops what is known of a directory, for writes made around the services (test and bench seeding). */
  invalidate(kind: ListedKind, directoryId: string): Promise<void>;
}

/** A built set is trusted this long, then rebuilt (covers a write whose Redis update was lost). */
const READY_TTL_S = 3600;
/** How long one process may hold the right to build a directory's set. */
const BUILD_LOCK_MS = 120_000;
/** How long a request waits for another process's build before it queries the database itself. */
const BUILD_WAIT_MS = 10_000;
/** A member created this close to a build's start may be missing from the build's read, and is kept. */
const BUILD_RACE_MARGIN_MS = 60_000;
const ZADD_CHUNK = 1000;

export function createDirectoryListing(backend: StoreBackend, deps: { redis: Redis; prefix: string; log: Logger }): DirectoryListing {
  if (backend === 'mongodb') {
    return {
      page: async () => null,
      added: async () => undefined,
      removed: async () => undefined,
      invalidate: async () => undefined,
    };
  }
  const { redis, log } = deps;
  const keyOf = (kind: ListedKind, directoryId: string) => `${deps.prefix}:listing:${kind}:${directoryId}`;

  async function build(key: string, loadAll: () => Promise<ListedEntry[]>): Promise<boolean> {
    const lock = await redis.set(`${key}:building`, '1', 'PX', BUILD_LOCK_MS, 'NX');
    if (lock !== 'OK') {
      for (const until = Date.now() + BUILD_WAIT_MS; Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        if (await redis.exists(`${key}:built`)) return true;
      }
      return false;
    }
    try {
      const startedAt = Date.now();
      const rows = await loadAll();
      for (let i = 0; i < rows.length; i += ZADD_CHUNK) {
        const args = rows.slice(i, i + ZADD_CHUNK).flatMap((r) => [new Date(r.createdAt).getTime(), r._id]);
        await redis.zadd(key, ...args);
      }
      // Members the database no longer has (deleted while Redis missed it); not those created since the read began.
      const present = new Set(rows.map((r) => r._id));
      const listed = await redis.zrangebyscore(key, '-inf', startedAt - BUILD_RACE_MARGIN_MS);
      const gone = listed.filter((id) => !present.has(id));
      for (let i = 0; i < gone.length; i += ZADD_CHUNK) await redis.zrem(key, ...gone.slice(i, i + ZADD_CHUNK));
      await redis.multi().set(`${key}:ready`, '1', 'EX', READY_TTL_S).set(`${key}:built`, '1').exec();
      log.info({ key, entries: rows.length, ms: Date.now() - startedAt }, 'directory listing built');
      return true;
    } finally {
      await redis.del(`${key}:building`);
    }
  }

  async function page(kind: ListedKind, directoryId: string, skip: number, limit: number, loadAll: () => Promise<ListedEntry[]>) {
    const key = keyOf(kind, directoryId);
    try {
      const [fresh, built] = await Promise.all([redis.exists(`${key}:ready`), redis.exists(`${key}:built`)]);
      if (!fresh && built) {
        // Due for its periodic rebuild: serve the set as it is and rebuild it beside the request.
        build(key, loadAll).catch((err) => log.warn({ err, kind, directoryId }, 'directory listing rebuild failed'));
      } else if (!built && !(await build(key, loadAll))) return null;
      if (limit === 0) return { total: await redis.zcard(key), ids: [] };
      // One transaction, so the count and the page describe the same moment.
      const [[, total], [, ids]] = (await redis.multi().zcard(key).zrange(key, String(skip), String(skip + limit - 1)).exec()) as [[null, number], [null, string[]]];
      return { total, ids };
    } catch (err) {
      log.warn({ err, kind, directoryId }, 'directory listing unavailable; paging in the database');
      return null;
    }
  }

  /** A lost update would leave the set wrong until its next rebuild, so a failure asks for one now. */
  async function update(kind: ListedKind, directoryId: string, write: (key: string) => Promise<unknown>) {
    const key = keyOf(kind, directoryId);
    try {
      await write(key);
    } catch (err) {
      log.warn({ err, kind, directoryId }, 'directory listing not updated; it is rebuilt on next use');
      await redis.del(`${key}:ready`).catch(() => undefined); // the next page rebuilds it, serving meanwhile
    }
  }

  return {
    page,
    added: (kind, directoryId, entries) =>
      entries.length ? update(kind, directoryId, (key) => redis.zadd(key, ...entries.flatMap((e) => [new Date(e.createdAt).getTime(), e._id]))) : Promise.resolve(),
    removed: (kind, directoryId, ids) => (ids.length ? update(kind, directoryId, (key) => redis.zrem(key, ...ids)) : Promise.resolve()),
    invalidate: async (kind, directoryId) => {
      const key = keyOf(kind, directoryId);
      await redis.del(key, `${key}:ready`, `${key}:built`);
    },
  };
}
