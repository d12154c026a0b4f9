import type { Model } from 'mongoose';
import { isDuplicateKey } from '../shared/mongo';

/**
 * One unordered insert of documents with chosen ids; returns the indexes of those that already
 * existed (duplicate `_id` or unique key). Both servers report each duplicate with its index, but
 * the driver gives one write error as an object and several as a list; an error that names no
 * index cannot say which were new, so then every document counts as possibly existing.
 */
export async function insertNew<T>(model: Model<T>, docs: Array<Record<string, unknown>>): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await model.collection.insertMany(docs as never[], { ordered: false });
    return new Set();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const e = err as { writeErrors?: WriteError[] | WriteError };
    const list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
    if (list.length === 0) return new Set(docs.map((_, i) => i));
    // Any other failure (a validation error, a dropped connection) is the caller's to see, not a duplicate.
    if (!list.every(isDuplicate)) throw err;
    return new Set(list.map((w) => w.index));
  }
}

interface WriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

const isDuplicate = (w: WriteError) => w.code === undefined || w.code === 11000 || /duplicate key/i.test(w.errmsg ?? '');
