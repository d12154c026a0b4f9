import type { Model } from 'mongoose';
import { isDuplicateKey } from './mongo';

/**
 * Create-or-update by id without the server's `upsert`. FerretDB v1 fails concurrent upserts of one id
 * with E11000 and then holds on to its PostgreSQL connections until it stops answering; an insert that
 * hits a duplicate, followed by an update, is safe on it and on MongoDB alike.
 */
export async function upsertById<T>(model: Model<T>, id: string, set: Record<string, unknown>): Promise<void> {
  const res = await model.updateOne({ _id: id } as never, { $set: set, $inc: { version: 1 } } as never);
  if (res.matchedCount > 0) return;
  try {
    await model.collection.insertOne({ _id: id, ...set, version: 1 } as never);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await model.updateOne({ _id: id } as never, { $set: set, $inc: { version: 1 } } as never);
  }
}

/** The same for many documents: one unordered insert, then updates for those that already existed. */
export async function upsertManyById<T>(model: Model<T>, docs: Array<{ _id: string } & Record<string, unknown>>): Promise<void> {
  if (docs.length === 0) return;
  let existing: number[] = [];
  try {
    await model.collection.insertMany(docs.map((d) => ({ ...d, version: 1 })) as never[], { ordered: false });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const e = err as { writeErrors?: Array<{ index: number; code?: number }> | { index: number; code?: number } };
    const list = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
    existing = list.filter((w) => w.code === 11000 || w.code === undefined).map((w) => w.index);
    if (list.length === 0) existing = docs.map((_, i) => i);
  }
  if (existing.length === 0) return;
  await model.bulkWrite(
    existing.map((i) => {
      const { _id, ...set } = docs[i];
      return { updateOne: { filter: { _id }, update: { $set: set, $inc: { version: 1 } } } };
    }) as never,
    { ordered: false },
  );
}
