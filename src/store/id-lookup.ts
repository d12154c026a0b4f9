import type { Model } from 'mongoose';
import sift from 'sift';
import { inParallel } from '../shared/in-parallel';
import type { StoreBackend } from './backend';

const CHUNK = 1000;
const POINT_CONCURRENCY = 8;

/**
 * A hint for lookups inside a small part of a collection: every wanted document also matches
 * `filter`'s top-level equalities (say, one group's memberships), and about `size` documents do.
 */
export interface Scope {
  size: number;
}

export interface IdLookup {
  /** The documents among `ids` that also match `filter`, with only `fields` read. */
  findByIds<T>(model: Model<T>, ids: string[], filter: Record<string, unknown>, fields: string[], scope?: Scope): Promise<T[]>;
  /** Deletes the documents with these ids (that also match `filter`); returns the ids that existed. */
  deleteByIds<T>(model: Model<T>, ids: string[], filter?: Record<string, unknown>, scope?: Scope): Promise<string[]>;
  /** Deletes every document matching `filter`, however many (a 100,000-member group's memberships). */
  deleteMatching<T>(model: Model<T>, filter: Record<string, unknown>): Promise<number>;
}

/**
 * FerretDB v1 deletes the documents a filter matched in one SQL statement with one parameter per
 * document, which PostgreSQL caps at 65,535 ("extended protocol limited to 65535 parameters"); so
 * there a large delete goes in `_id` ranges of at most this many documents.
 */
const DELETE_RANGE = 50_000;

/**
 * On FerretDB, a query whose top-level equalities are pushed down to PostgreSQL reads only the
 * documents they match, and checks `$in` on those: when they are at most this many per wanted id
 * (1,000 removals from a group of 8,000), one such query beats one point read per id.
 */
const SCOPED_READS_PER_ID = 8;
const scopedQueryFits = (ids: string[], scope?: Scope) => scope !== undefined && scope.size <= Math.max(ids.length * SCOPED_READS_PER_ID, 64);

/**
 * Looking up many documents by id. On MongoDB that is `$in` over `_id`. FerretDB v1 pushes no
 * `$in` down to its backend, so `$in` reads the whole collection (1.4 s for 10,000 users); there,
 * point reads on `_id` (indexed) run a few at a time and the rest of the filter is checked here.
 */
export function createIdLookup(backend: StoreBackend): IdLookup {
  if (backend === 'mongodb') {
    return {
      async findByIds(model, ids, filter, fields) {
        const out = [];
        for (let i = 0; i < ids.length; i += CHUNK) {
          const rows = await model.find({ ...filter, _id: { $in: ids.slice(i, i + CHUNK) } }, fields.join(' ')).lean();
          out.push(...rows);
        }
        return out as never[];
      },
      async deleteByIds(model, ids, filter = {}) {
        const deleted: string[] = [];
        for (let i = 0; i < ids.length; i += CHUNK) {
          // deleteMany reports a count only; which ids existed is one cheap `$in` read first.
          const found = (await model.find({ ...filter, _id: { $in: ids.slice(i, i + CHUNK) } }, '_id').lean<Array<{ _id: string }>>()).map((d) => d._id);
          if (found.length) await model.deleteMany({ ...filter, _id: { $in: found } });
          deleted.push(...found);
        }
        return deleted;
      },
      async deleteMatching(model, filter) {
        return (await model.deleteMany(filter)).deletedCount;
      },
    };
  }
  return {
    async findByIds(model, ids, filter, fields, scope) {
      // One reply: FerretDB's default first batch of 101 would add a getMore round trip per batch.
      if (scopedQueryFits(ids, scope)) return (await model.find({ ...filter, _id: { $in: ids } }, fields.join(' ')).batchSize(ids.length + 1).lean()) as never[];
      const matches = sift(filter as never);
      const found = await inParallel(ids, POINT_CONCURRENCY, (id) => model.findOne({ _id: id }, [...fields, ...Object.keys(filter)].join(' ')).lean());
      return found.filter((d) => d && matches(d)) as never[];
    },
    async deleteByIds(model, ids, filter = {}, scope) {
      if (scopedQueryFits(ids, scope)) {
        // Callers delete ids they have just read (a group's planned removals), so one scoped delete says it
        // all when its count matches. Only a concurrent delete of the same ids makes it fall short; then
        // which of them this call removed is unknown, and all are reported (a caller recomputing access
        // for them does one recompute too many, never one too few).
        const { deletedCount } = await model.deleteMany({ ...filter, _id: { $in: ids } });
        return deletedCount === 0 ? [] : ids;
      }
      const results = await inParallel(ids, POINT_CONCURRENCY, (id) => model.deleteOne({ _id: id, ...filter }));
      return ids.filter((_, i) => results[i].deletedCount > 0);
    },
    async deleteMatching(model, filter) {
      let n = 0;
      for (;;) {
        const batch = await model.find(filter, '_id').sort({ _id: 1 }).limit(DELETE_RANGE).lean<Array<{ _id: string }>>();
        if (batch.length === 0) return n;
        // A range, not `$in`: FerretDB checks `$in` against each candidate in turn, a range in constant time.
        n += (await model.deleteMany({ ...filter, _id: { $gte: batch[0]._id, $lte: batch[batch.length - 1]._id } })).deletedCount;
        if (batch.length < DELETE_RANGE) return n;
      }
    },
  };
}
