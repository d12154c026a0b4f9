import mongoose, { type Connection, type Model, type Schema } from 'mongoose';

/**
 * One connection per process (or per test file, with its own database name).
 * Nothing here may rely on transactions, change streams or collations: the same code runs on
 * MongoDB 6/7 and on FerretDB v1, so uniqueness lives in normalized fields with unique indexes.
 */
export async function connectMongo(url: string, dbName?: string, poolSize = 20, opts: { monitorCommands?: boolean } = {}): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    dbName,
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: poolSize,
    autoIndex: false,
    autoCreate: false,
    // Only the database-operations profile (bench/db-ops.ts) listens to command events.
    monitorCommands: opts.monitorCommands ?? false,
  });
  await conn.asPromise();
  return conn;
}

/** Duplicate-key errors surface differently from single writes and bulk writes; both carry code 11000. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; message?: string; writeErrors?: Array<{ code?: number }> } | undefined;
  // FerretDB v1 reports a duplicate on some updates with code 1 and only the message says so.
  return e?.code === 11000 || (e?.writeErrors?.some((w) => w.code === 11000) ?? false) || /duplicate key/i.test(e?.message ?? '');
}

/** A MongoDB error that means the server could not be reached, as opposed to a rejected operation. */
export function isConnectionError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  return /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoNotConnectedError|MongoTopologyClosedError|PoolClearedError/.test(
    name,
  );
}

/** Mongoose's inferred model types differ per schema option; the services only need the plain document type. */
export function modelOf<T>(conn: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return conn.model(name, schema as Schema, collection) as unknown as Model<T>;
}

/**
 * The distinct values of one field among the matching documents. Not `distinct`: FerretDB v1 takes
 * 106 s for it over 100,000 memberships where a projected find takes 4 s; MongoDB is fine either way.
 */
export async function distinctOf<T>(model: Model<T>, field: keyof T & string, filter: Record<string, unknown>): Promise<string[]> {
  const rows = await model.find(filter, { [field]: 1, _id: 0 }).lean<Array<Record<string, unknown>>>();
  return [...new Set(rows.map((r) => r[field]).filter((v): v is string => typeof v === 'string'))];
}
