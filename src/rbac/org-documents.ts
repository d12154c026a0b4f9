import type { Model } from 'mongoose';
import { Conflict, NotFound } from '../shared/errors';
import { isDuplicateKey } from '../shared/mongo';

// Reads and writes of one organization's documents, answering what the admin API maps: NotFound, Conflict.

/** Another organization's document is answered like a missing one. */
export async function getInOrg<T>(model: Model<T>, orgId: string, id: string, what: string): Promise<T> {
  const doc = await model.findOne({ _id: id, orgId } as never).lean<T>();
  if (!doc) throw new NotFound(`${what} ${id}`);
  return doc;
}

export async function insertUnique<T>(model: Model<T>, doc: T, what: string, detail: string): Promise<T> {
  try {
    await model.collection.insertOne(doc as never);
    return doc;
  } catch (err) {
    if (isDuplicateKey(err)) throw new Conflict(what, detail);
    throw err;
  }
}

/** Where a new name could clash: the fields another document of that name would share (null: no rename). */
export interface NameClash {
  sameName: Record<string, unknown> | null;
  conflict: () => Conflict;
}

export async function updateUnique<T>(
  model: Model<T>,
  target: { orgId: string; id: string; what: string },
  update: Record<string, unknown>,
  clash: NameClash,
): Promise<T> {
  const { orgId, id } = target;
  // Renames check the name first: FerretDB reports a findAndModify duplicate as InternalError (code 1),
  // not 11000, so the catch below alone would answer 500. The catch still covers a racing writer on MongoDB.
  if (clash.sameName && (await model.exists({ orgId, ...clash.sameName, _id: { $ne: id } } as never))) throw clash.conflict();
  try {
    const doc = await model.findOneAndUpdate({ _id: id, orgId } as never, update as never, { returnDocument: 'after' }).lean<T>();
    if (!doc) throw new NotFound(`${target.what} ${id}`);
    return doc;
  } catch (err) {
    if (isDuplicateKey(err)) throw clash.conflict();
    throw err;
  }
}
