import type { EventModels } from './event.model';
import { EVENT_BLOCK_SIZE, type EventDoc, type EventSubject } from './event-types';

/** A page reads at most this many blocks, so a rare type or subject costs a bounded request (it says where to go on). */
const MAX_BLOCKS_PER_PAGE = 20;

export interface EventQuery {
  /** Events with seq greater than this (0: from the start of what is retained). */
  after: number;
  types?: string[];
  subject?: EventSubject;
  limit: number;
}

export interface EventPage {
  events: EventDoc[];
  /** The cursor to ask with next: every event up to it has been seen (or filtered out). */
  next: number;
  /** Whether the log (as visible now) was read to its end. */
  atEnd: boolean;
}

export type EventLog = ReturnType<typeof createEventLog>;

/**
 * Reading the log: in seq order, only up to the organization's committed counter (so a cursor
 * never passes an event still being written), a block of 100 seq values per query (an equality
 * match both servers answer from an index; FerretDB v1 pushes down nothing else).
 */
export function createEventLog(deps: { models: Pick<EventModels, 'events' | 'counters'>; retentionMs: number }) {
  const { events, counters } = deps.models;

  async function committed(orgId: string): Promise<{ seq: number; oldestSeq: number }> {
    const c = await counters.findOne({ _id: orgId }).lean();
    return { seq: c?.seq ?? 0, oldestSeq: c?.oldestSeq ?? 0 };
  }

  async function list(orgId: string, q: EventQuery): Promise<EventPage> {
    const { seq: top, oldestSeq } = await committed(orgId);
    let from = Math.max(q.after, oldestSeq - 1, 0);
    const out: EventDoc[] = [];
    const types = q.types?.length ? new Set(q.types) : null;
    let blocks = 0;
    while (from < top && out.length < q.limit && blocks < MAX_BLOCKS_PER_PAGE) {
      const block = Math.floor((from + 1) / EVENT_BLOCK_SIZE);
      const rows = await events.find({ orgId, block }).lean<EventDoc[]>();
      blocks += 1;
      rows.sort((a, b) => a.seq - b.seq);
      const blockEnd = Math.min(top, (block + 1) * EVENT_BLOCK_SIZE - 1);
      let reached = blockEnd;
      for (const e of rows) {
        if (e.seq <= from || e.seq > top) continue;
        if (types && !types.has(e.type)) continue;
        if (q.subject && (e.subject.type !== q.subject.type || e.subject.id !== q.subject.id)) continue;
        out.push(e);
        if (out.length === q.limit) {
          reached = e.seq;
          break;
        }
      }
      from = reached;
    }
    return { events: out, next: from, atEnd: from >= top };
  }

  async function get(orgId: string, id: string): Promise<EventDoc | null> {
    const e = await events.findOne({ _id: id, orgId }).lean<EventDoc>();
    if (!e) return null;
    const { seq } = await committed(orgId);
    return e.seq <= seq ? e : null;
  }

  /** Events of one organization in seq order between two times (replay), a block at a time. */
  async function* between(orgId: string, since: Date, until: Date, types: string[] | null): AsyncGenerator<EventDoc> {
    let after = 0;
    for (;;) {
      const page = await list(orgId, { after, limit: 500, ...(types ? { types } : {}) });
      for (const e of page.events) {
        const t = new Date(e.occurredAt).getTime();
        if (t >= since.getTime() && t <= until.getTime()) yield e;
      }
      if (page.atEnd || page.next === after) return;
      after = page.next;
    }
  }

  /**
   * Deletes whole blocks older than the retention, oldest first, and remembers where the log now
   * starts; it stops at the first block holding a younger event, so the log never gets a hole.
   */
  async function purge(now = new Date()): Promise<number> {
    const cutoff = now.getTime() - deps.retentionMs;
    let deleted = 0;
    for (const c of await counters.find({}).lean()) {
      let oldest = c.oldestSeq ?? 0;
      for (;;) {
        const block = Math.floor(Math.max(oldest, 1) / EVENT_BLOCK_SIZE);
        const blockEnd = (block + 1) * EVENT_BLOCK_SIZE - 1;
        if (blockEnd > c.seq) break; // the newest block stays until it is full
        const rows = await events.find({ orgId: c._id, block }, { occurredAt: 1 }).lean<Array<{ occurredAt: Date }>>();
        if (rows.some((r) => new Date(r.occurredAt).getTime() >= cutoff)) break;
        if (rows.length) deleted += (await events.deleteMany({ orgId: c._id, block })).deletedCount ?? 0;
        oldest = blockEnd + 1;
        await counters.updateOne({ _id: c._id }, { $set: { oldestSeq: oldest } });
      }
    }
    return deleted;
  }

  return { list, get, between, committed, purge };
}
