import { randomBytes } from 'node:crypto';
import { connectRedis } from '../../src/shared/redis';
import { createFreshCache } from '../../src/shared/fresh-cache';
import { createLogger } from '../../src/shared/logger';

/** The guarantees the access-check cache rests on, against the real Redis. */
describe('fresh cache (real Redis)', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = connectRedis(url, { forHotPath: true });
  const log = createLogger('silent');
  const newCache = (r = redis) => createFreshCache({ redis: r, prefix: `test-fresh-${randomBytes(4).toString('hex')}`, ttlMs: 60_000, maxEntries: 1000, log });
  beforeAll(async () => {
    for (let i = 0; i < 50 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => redis.disconnect());

  it('serves a second read from memory and reloads after an invalidation', async () => {
    const cache = newCache();
    let loads = 0;
    const load = async () => ({ n: ++loads });
    expect(await cache.read('k', 'a', load)).toEqual({ n: 1 });
    expect(await cache.read('k', 'a', load)).toEqual({ n: 1 });
    await cache.invalidate('k', ['a']);
    expect(await cache.read('k', 'a', load)).toEqual({ n: 2 });
    expect(cache.counts()).toMatchObject({ hit: 1, miss: 2 });
  });

  it('sees an invalidation made by another instance on its next read', async () => {
    const prefix = `test-fresh-${randomBytes(4).toString('hex')}`;
    const a = createFreshCache({ redis, prefix, ttlMs: 60_000, maxEntries: 1000, log });
    const b = createFreshCache({ redis, prefix, ttlMs: 60_000, maxEntries: 1000, log });
    let value = 'old';
    const load = async () => ({ value });
    expect(await b.read('k', 'x', load)).toEqual({ value: 'old' });
    value = 'new';
    await a.invalidate('k', ['x']);
    expect(await b.read('k', 'x', load)).toEqual({ value: 'new' });
  });

  it('never serves a value loaded before a write that finished during the load', async () => {
    const cache = newCache();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let stored = 'before';
    const first = cache.read('k', 'r', async () => {
      const seen = stored;
      await slow;
      return { v: seen };
    });
    await new Promise((r) => setTimeout(r, 20));
    stored = 'after';
    await cache.invalidate('k', ['r']);
    release();
    expect(await first).toEqual({ v: 'before' });
    expect(await cache.read('k', 'r', async () => ({ v: stored }))).toEqual({ v: 'after' });
  });

  it('does not remember what is not there', async () => {
    const cache = newCache();
    let loads = 0;
    expect(await cache.read('k', 'none', async () => (++loads, null))).toBeNull();
    expect(await cache.read('k', 'none', async () => (++loads, null))).toBeNull();
    expect(loads).toBe(2);
  });

  it('reads through to the source, never from memory, when Redis cannot be reached', async () => {
    const down = connectRedis('redis://127.0.0.1:6399', { forHotPath: true });
    down.on('error', () => undefined);
    const cache = newCache(down);
    let loads = 0;
    const load = async () => ({ n: ++loads });
    await cache.read('k', 'd', load);
    await cache.read('k', 'd', load);
    expect(loads).toBe(2);
    expect(cache.counts().bypass).toBe(2);
    await cache.invalidate('k', ['d']);
    down.disconnect();
  });
});
