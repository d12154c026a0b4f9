import type { Model } from 'mongoose';
import { isDuplicateKey } from '../shared/mongo';
import { inParallel } from '../shared/in-parallel';
import { insertNew } from './insert-new';

/**
 * Create-or-update by id without the server's `upsert`. FerretDB v1 fails concurrent upserts of one id
 * with E11000; an insert that hits a duplicate, followed by an update, is safe on it and on MongoDB alike,
 * so this one path runs on both.
 */
export async function upsertById<T>(model: Model<T>, id: string, set: Record<string, unknown>, guard: Record<string, unknown> = {}): Promise<void> {
  const res = await model.updateOne({ _id: id, ...guard } as never, { $set: set, $inc: { version: 1 } } as never);
  if (res.matchedCount > 0) return;
  try {
    await model.collection.insertOne({ _id: id, ...set, version: 1 } as never);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // It exists: either it was inserted a moment ago, or the guard keeps a newer document from being overwritten.
    await model.updateOne({ _id: id, ...guard } as never, { $set: set, $inc: { version: 1 } } as never);
  }
}

/** How updates of existing documents are sent: statements per command, commands at once. */
export interface UpdateShape {
  perCommand: number;
  parallel: number;
}

/**
 * MongoDB: one bulk command of up to 1,000 statements. FerretDB v1 keeps one PostgreSQL connection per
 * statement of an `update` command until the whole command ends (its handler defers each statement's
 * iterator close inside the loop): a bulk of 500 needs 500 connections from its pool of 80, waits
 * forever, and the server stops answering everyone. There, one statement per command, a few commands
 * at once: it holds at most one connection per command in flight, and uses both cores where one
 * command would use one.
 */
export const MONGODB_UPDATE_SHAPE: UpdateShape = { perCommand: 1000, parallel: 1 };
export const FERRETDB_UPDATE_SHAPE: UpdateShape = { perCommand: 1, parallel: 4 };

/** The same for many documents: one unordered insert, then updates for those that already existed. */
export async function upsertManyById<T>(
  model: Model<T>,
  docs: Array<{ _id: string } & Record<string, unknown>>,
  shape: UpdateShape,
  guard: Record<string, unknown> = {},
): Promise<void> {
  if (docs.length === 0) return;
  const existing = [...(await insertNew(model, docs.map((d) => ({ ...d, version: 1 }))))];
  if (existing.length === 0) return;
  const commands: number[][] = [];
  for (let i = 0; i < existing.length; i += shape.perCommand) commands.push(existing.slice(i, i + shape.perCommand));
  await inParallel(commands, shape.parallel, (command) =>
    model.bulkWrite(
      command.map((k) => {
        const { _id, ...set } = docs[k];
        return { updateOne: { filter: { _id, ...guard }, update: { $set: set, $inc: { version: 1 } } } };
      }) as never,
      { ordered: false },
    ),
  );
}
