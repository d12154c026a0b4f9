import type { Model } from 'mongoose';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger';
import { createDirectoryListing, type DirectoryListing } from './directory-listing';
import type { StoreBackend } from './backend';
import { createIdLookup, type IdLookup } from './id-lookup';
import { createQueryPlanner, type QueryPlan } from './complex-filter';
import { FERRETDB_UPDATE_SHAPE, MONGODB_UPDATE_SHAPE, upsertManyById, type UpdateShape } from './upsert';

/**
 * The storage seam: every operation whose best form differs between MongoDB 6/7 and FerretDB v1.
 * Chosen once in container.ts; domain services receive it (or one of its parts) and never ask
 * which server answers. docs/ferretdb.md lists each difference and why.
 */
export interface Store {
  readonly backend: StoreBackend;
  /** Many documents by id: `$in` on MongoDB, indexed point reads on FerretDB. */
  readonly ids: IdLookup;
  /** Create-or-update many documents by id, each guarded by `guard`. */
  upsertMany<T>(model: Model<T>, docs: Array<{ _id: string } & Record<string, unknown>>, guard?: Record<string, unknown>): Promise<void>;
  /** A query with `$elemMatch` as the server can run it (see complex-filter.ts). */
  planQuery(query: Record<string, unknown>): QueryPlan;
  /** Unfiltered list pages of a directory's users and groups (see directory-listing.ts). */
  readonly listing: DirectoryListing;
}

export interface StoreOptions {
  /**
   * Statements per bulk update on the MongoDB path. 1,000 on MongoDB; CI forces the MongoDB path on
   * FerretDB with a smaller size, because FerretDB holds a connection per statement (upsert.ts).
   */
  bulkUpdateSize?: number;
  /** Where FerretDB's list order is kept, and under which key prefix. */
  redis: Redis;
  prefix: string;
  log: Logger;
}

export function createStore(backend: StoreBackend, opts: StoreOptions): Store {
  const shape: UpdateShape =
    backend === 'mongodb' ? { ...MONGODB_UPDATE_SHAPE, perCommand: opts.bulkUpdateSize ?? MONGODB_UPDATE_SHAPE.perCommand } : FERRETDB_UPDATE_SHAPE;
  return {
    backend,
    ids: createIdLookup(backend),
    upsertMany: (model, docs, guard = {}) => upsertManyById(model, docs, shape, guard),
    planQuery: createQueryPlanner(backend),
    listing: createDirectoryListing(backend, opts),
  };
}
