import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IdLookup } from '../store/id-lookup';
import type { Logger } from '../shared/logger';
import { isDuplicateKey } from '../shared/mongo';
import type { EventModels, EventClaimDoc } from './event.model';
import { EVENT_BLOCK_SIZE, type EventDoc, type EventDraft } from './event-types';

/** Drafts moved into the log per claim (one claim document lists their ids). */
const CLAIM_SIZE = 500;
const LOCK_MS = 30_000;

export type Sequencer = ReturnType<typeof createSequencer>;

/**
 * Gives an organization's drafts their place in its order and moves them into the log. One
 * sequencer runs per organization at a time (a Redis lock), but correctness does not rest on the
 * lock: a range of seq values is reserved by inserting a claim document whose id is the position it
 * starts from, which only one writer can do; whoever finds an unfinished claim finishes it the same
 * way (the same ids get the same seq), so a crash or a lost lock (Redis flushed) leaves neither a
 * gap nor a duplicate. Events become visible when the counter passes them, after they are all
 * written, so a reader's cursor never skips one that was still being written.
 *
 * Order: drafts are taken by `occurredAt` (when their data write was made) once they are
 * `settleMs` old, so two writes to one subject from two requests are sequenced in write order even
 * when the second one's draft insert lands first.
 */
export function createSequencer(deps: {
  models: Pick<EventModels, 'drafts' | 'events' | 'claims' | 'counters'>;
  ids: Pick<IdLookup, 'findByIds' | 'deleteByIds'>;
  redis: Redis;
  prefix: string;
  settleMs: number;
  /** Creates the deliveries of these just-sequenced events (idempotent: it may see them twice). */
  fanOut: (events: EventDoc[]) => Promise<void>;
  log: Logger;
}) {
  const { drafts, events, claims, counters } = deps.models;
  const lockKey = (orgId: string) => `${deps.prefix}:events:seq-lock:${orgId}`;
  const dirtyKey = (orgId: string) => `${deps.prefix}:events:seq-dirty:${orgId}`;

  /** Sequences everything the organization has pending. Returns how many events it added. */
  async function run(orgId: string): Promise<number> {
    let locked: { token: string } | null = null;
    let added = 0;
    try {
      // Marked before trying the lock: a holder that is about to let go sees the mark and goes on.
      await deps.redis.set(dirtyKey(orgId), '1', 'EX', 60);
      for (;;) {
        const token = randomBytes(8).toString('hex');
        if ((await deps.redis.set(lockKey(orgId), token, 'PX', LOCK_MS, 'NX')) !== 'OK') return added;
        locked = { token };
        do {
          await deps.redis.del(dirtyKey(orgId));
          added += await drain(orgId);
        } while ((await deps.redis.get(dirtyKey(orgId))) !== null);
        await release(orgId, token);
        locked = null;
        if ((await deps.redis.get(dirtyKey(orgId))) === null) return added;
      }
    } catch (err) {
      if (locked) await release(orgId, locked.token).catch(() => undefined);
      if (isRedisFailure(err)) {
        // Without Redis there is no lock, and none is needed for correctness (claims decide).
        deps.log.warn({ err: (err as Error).message, orgId }, 'sequencing without the lock: Redis did not answer');
        return added + (await drain(orgId));
      }
      throw err;
    }
  }

  async function release(orgId: string, token: string): Promise<void> {
    await deps.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, lockKey(orgId), token);
  }

  async function drain(orgId: string): Promise<number> {
    let added = 0;
    for (;;) {
      let c = (await counters.findOne({ _id: orgId }).lean())?.seq ?? 0;
      const open = await claims.findOne({ _id: claimId(orgId, c) }).lean<EventClaimDoc>();
      if (open) {
        added += await finish(open, null);
        continue;
      }
      // Read once per round and taken a claim at a time: a burst of 50,000 drafts is one read, not 100.
      const pending = await drafts.find({ orgId }).lean<EventDraft[]>();
      if (pending.length === 0) return added;
      pending.sort((a, b) => new Date(a.occurredAt).getTime() - new Date(b.occurredAt).getTime() || (a._id < b._id ? -1 : 1));
      const settledBefore = Date.now() - deps.settleMs;
      const ready = pending.filter((d) => new Date(d.occurredAt).getTime() <= settledBefore);
      if (ready.length === 0) {
        const youngest = Math.min(...pending.map((d) => new Date(d.occurredAt).getTime()));
        await sleep(Math.min(deps.settleMs, Math.max(1, youngest + deps.settleMs - Date.now())));
        continue;
      }
      let raced = false;
      for (let i = 0; i < ready.length; i += CLAIM_SIZE) {
        const chunk = ready.slice(i, i + CLAIM_SIZE);
        // A draft whose event is already in the log (a re-swept change, a re-run recompute) is the same event.
        const known = new Set((await deps.ids.findByIds(events, chunk.map((d) => d._id), { orgId }, ['_id'])).map((e) => (e as { _id: string })._id));
        if (known.size) await deps.ids.deleteByIds(drafts, [...known], { orgId });
        const fresh = chunk.filter((d) => !known.has(d._id));
        if (fresh.length === 0) continue;
        const claim: EventClaimDoc = { _id: claimId(orgId, c), orgId, seqBefore: c, eventIds: fresh.map((d) => d._id), createdAt: new Date() };
        try {
          await claims.collection.insertOne(claim as never);
        } catch (err) {
          if (isDuplicateKey(err)) {
            raced = true; // another sequencer reserved this range first: read again
            break;
          }
          throw err;
        }
        added += await finish(claim, fresh);
        c += fresh.length;
      }
      // Everything read is done: drafts recorded meanwhile marked the organization dirty, and run() comes back.
      if (!raced && ready.length === pending.length) return added;
    }
  }

  /** Writes a claim's events with their seq, fans them out, then moves the counter past them. Repeatable. */
  async function finish(claim: EventClaimDoc, known: EventDraft[] | null): Promise<number> {
    const source = known ?? (await whole<EventDraft>(drafts, claim.eventIds, claim.orgId));
    const byId = new Map(source.map((d) => [d._id, d]));
    const written: EventDoc[] = [];
    claim.eventIds.forEach((id, i) => {
      const d = byId.get(id);
      const seq = claim.seqBefore + 1 + i;
      if (d) written.push({ ...d, seq, block: Math.floor(seq / EVENT_BLOCK_SIZE) });
    });
    if (written.length) {
      try {
        await events.collection.insertMany(written as never[], { ordered: false });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    // Drafts gone already were written by an earlier finisher of this claim: read those back for the fan-out.
    const missing = claim.eventIds.filter((id) => !byId.has(id));
    const all = missing.length ? [...written, ...(await whole<EventDoc>(events, missing, claim.orgId))] : written;
    all.sort((a, b) => a.seq - b.seq);
    await deps.fanOut(all);
    const next = claim.seqBefore + claim.eventIds.length;
    if (claim.seqBefore === 0) {
      await counters.collection.insertOne({ _id: claim.orgId, seq: next, updatedAt: new Date() } as never).catch((err) => {
        if (!isDuplicateKey(err)) throw err;
      });
    }
    await counters.updateOne({ _id: claim.orgId, seq: claim.seqBefore }, { $set: { seq: next, updatedAt: new Date() } });
    await deps.ids.deleteByIds(drafts, claim.eventIds, { orgId: claim.orgId });
    return written.length;
  }

  /**
   * Whole documents by id, of one organization. No filter is passed down: the FerretDB lookup reads
   * only the fields it is given plus the filter's, so a filter would strip everything else.
   */
  async function whole<T extends { _id: string; orgId: string }>(model: typeof drafts | typeof events, ids: string[], orgId: string): Promise<T[]> {
    const found = (await deps.ids.findByIds(model as never, ids, {}, [])) as T[];
    return found.filter((d) => d.orgId === orgId);
  }

  /** Organizations with drafts waiting longer than `olderThanMs` (their sequencing job was lost). */
  async function orgsWithStaleDrafts(olderThanMs: number): Promise<string[]> {
    const cutoff = Date.now() - olderThanMs;
    const rows = await drafts.find({}, { orgId: 1, occurredAt: 1 }).lean<Array<{ orgId: string; occurredAt: Date }>>();
    return [...new Set(rows.filter((r) => new Date(r.occurredAt).getTime() < cutoff).map((r) => r.orgId))];
  }

  return { run, orgsWithStaleDrafts };
}

export const claimId = (orgId: string, seqBefore: number): string => `${orgId}|${seqBefore}`;

function isRedisFailure(err: unknown): boolean {
  const msg = (err as Error)?.message ?? '';
  return /Connection is closed|ECONNREFUSED|ECONNRESET|enableOfflineQueue|max retries|Stream isn't writeable|ETIMEDOUT/i.test(msg);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
