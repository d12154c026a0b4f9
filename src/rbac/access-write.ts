import type { Model } from 'mongoose';
import type { FreshCache } from '../shared/fresh-cache';
import { upsertById } from '../store/upsert';
import type { Store } from '../store/store';
import type { AccessDoc } from './access.model';

// Every write of an access document: guarded by the time its state was read, then invalidated on every instance.

export interface AccessWriteTarget {
  access: Model<AccessDoc>;
  /** Checks answer from memory; each write here invalidates what it changed on every instance. */
  fresh: Pick<FreshCache, 'invalidate'>;
}

/** Stores one document computed from state read at `sourceAt`, unless the stored one was read later. */
export async function storeAccess<T extends { _id: string }>(to: AccessWriteTarget, doc: T, sourceAt: Date): Promise<void> {
  await upsertById(to.access, doc._id, { ...withoutId(doc), sourceAt }, readNoLaterThan(sourceAt));
  await to.fresh.invalidate('access', [doc._id]);
}

/** The same for many documents computed from state read at one `sourceAt`. */
export async function storeAccessMany(to: AccessWriteTarget & { store: Pick<Store, 'upsertMany'> }, docs: Array<{ _id: string }>, sourceAt: Date): Promise<void> {
  await to.store.upsertMany(to.access, docs.map((doc) => ({ ...doc, sourceAt })), readNoLaterThan(sourceAt));
  await to.fresh.invalidate('access', docs.map((doc) => doc._id));
}

/**
 * The write guard: replace only a document computed from state read no later than ours (or one
 * written before documents carried `sourceAt`). Atomic on MongoDB; on FerretDB v1 the check and
 * the write are two steps, so the guard narrows the race to that gap instead of a whole recompute.
 */
function readNoLaterThan(sourceAt: Date): Record<string, unknown> {
  return { $or: [{ sourceAt: { $exists: false } }, { sourceAt: { $lte: sourceAt } }] };
}

/** MongoDB refuses `_id` inside `$set`, even unchanged; the filter already names it. */
function withoutId<T extends { _id: string }>(doc: T): Omit<T, '_id'> {
  const { _id, ...rest } = doc;
  void _id;
  return rest;
}
