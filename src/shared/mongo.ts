import mongoose, { type Connection, type Model, type Schema } from 'mongoose';
import type { OutageStage } from './errors';

/**
 * One connection per process (or per test file, with its own database name).
 * Nothing here may rely on transactions, change streams or collations: the same code runs on
 * MongoDB 6/7 and on FerretDB v1, so uniqueness lives in normalized fields with unique indexes.
 */
export async function connectMongo(url: string, dbName?: string, poolSize = 20, opts: { monitorCommands?: boolean } = {}): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    dbName,
    // An option named in the connection string wins (options passed here would override it): that
    // is where an operator, or the outage test, sets how soon a request gives up on the server.
    ...(namesOption(url, 'serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: 5000 }),
    maxPoolSize: poolSize,
    autoIndex: false,
    autoCreate: false,
    // Only the database-operations profile (bench/db-ops.ts) listens to command events.
    monitorCommands: opts.monitorCommands ?? false,
  });
  await conn.asPromise();
  return conn;
}

/** Connection-string option names are case-insensitive (MongoDB connection string spec). */
function namesOption(url: string, option: string): boolean {
  const query = url.split('?')[1] ?? '';
  return [...new URLSearchParams(query).keys()].some((k) => k.toLowerCase() === option.toLowerCase());
}

/** Duplicate-key errors surface differently from single writes and bulk writes; both carry code 11000. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; message?: string; writeErrors?: Array<{ code?: number }> } | undefined;
  // FerretDB v1 reports a duplicate on some updates with code 1 and only the message says so.
  return e?.code === 11000 || (e?.writeErrors?.some((w) => w.code === 11000) ?? false) || /duplicate key/i.test(e?.message ?? '');
}

/**
 * How far a failed operation got when the server could not be reached or its connection broke:
 * `unreachable` when its command was never sent (no server selected, no connection to be had, the
 * client closed), `interrupted` when the connection failed while the command may have been on its
 * way or executing, so a write may have landed. Null for anything else, such as a rejected write.
 *
 * One error speaks for one command only: a request that wrote before its failing command has stored
 * that part either way. And on a replica set with retryable writes, a retry whose server selection
 * fails throws MongoServerSelectionError after an attempt that was sent. So neither answer means
 * "nothing of this request was stored"; see shared/store-outage.ts for what the edges say.
 */
export function mongoFailureStage(err: unknown, depth = 0): OutageStage | null {
  if (!err || typeof err !== 'object' || depth > 4) return null;
  const e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errorLabels?: unknown; result?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const labels: unknown[] = Array.isArray(e.errorLabels) ? e.errorLabels : [];
  const stage = ownStage(name, typeof e.message === 'string' ? e.message : '', e.code, labels) ?? mongoFailureStage(e.cause, depth + 1);
  if (stage === null) return null;
  // insertMany and bulkWrite go in batches: one that stored documents before its connection failed stored something.
  if (name === 'MongoBulkWriteError' && wroteAny(e.result)) return 'interrupted';
  // The driver's word that a retried write never ran, on either attempt.
  return labels.includes('NoWritesPerformed') ? 'unreachable' : stage;
}

function ownStage(name: string, message: string, code: unknown, labels: unknown[]): OutageStage | null {
  const labelled = (among: readonly string[]) => among.some((l) => labels.includes(l));
  if (NOT_SENT_NAMES.has(name)) return 'unreachable';
  // Mongoose's own waits: a command buffered until the connection opens, or issued after close().
  if (name === 'MongooseError' && /buffering timed out|Connection was force closed/.test(message)) return 'unreachable';
  // The driver labels failures to open a connection (socket or handshake) so: no command was on it.
  if ((BROKEN_NAMES.has(name) || name === 'MongoBulkWriteError') && labelled(CONNECTING_LABELS)) return 'unreachable';
  if (BROKEN_NAMES.has(name) || labelled(BROKEN_LABELS)) return 'interrupted';
  if (typeof code === 'number') {
    if (NOT_PRIMARY_CODES.has(code)) return 'unreachable';
    if (INTERRUPTED_CODES.has(code)) return 'interrupted';
  }
  // The driver lets a socket's own error through (a write on a connection the peer has reset); a bulk
  // write copies the message of the network error it met.
  const socketCode = typeof code === 'string' ? code : name === 'MongoBulkWriteError' ? (/\b(E[A-Z]{4,})\b/.exec(message)?.[1] ?? '') : '';
  if (NOT_SENT_CODES.has(socketCode)) return 'unreachable';
  if (BROKEN_CODES.has(socketCode)) return 'interrupted';
  if (name === 'MongoBulkWriteError' && /^connection .* (closed|timed out)$/.test(message)) return 'interrupted';
  return null;
}

/** A MongoDB error that means the server could not be reached or the connection broke, as opposed to a rejected operation. */
export function isConnectionError(err: unknown): boolean {
  return mongoFailureStage(err) !== null;
}

/** Thrown before a command leaves: no server, no pooled or new connection, client closed, pool exhausted. */
const NOT_SENT_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoClientClosedError',
]);
/** A connection that broke with a command on it (PoolClearedOnNetworkError interrupts in-use connections). */
const BROKEN_NAMES = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'PoolClearedOnNetworkError', 'DisconnectedError']);
const CONNECTING_LABELS = ['HandshakeError', 'SystemOverloadedError'];
const BROKEN_LABELS = ['ResetPool', 'RetryableWriteError', 'InterruptInUseConnections', 'NetworkError'];
/** A failover: NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary refuse before executing. */
const NOT_PRIMARY_CODES = new Set([10107, 13435, 13436]);
/** ...while these stop an operation that was running: HostUnreachable, HostNotFound, NetworkTimeout,
 * ShutdownInProgress, PrimarySteppedDown, InterruptedAtShutdown, InterruptedDueToReplStateChange, SocketException. */
const INTERRUPTED_CODES = new Set([6, 7, 89, 91, 189, 11600, 11602, 9001]);
/** A refused or unresolvable connection sent nothing; a reset or broken pipe may have sent everything. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTCONN', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED']);

function wroteAny(result: unknown): boolean {
  const r = result as Partial<Record<'insertedCount' | 'matchedCount' | 'modifiedCount' | 'deletedCount' | 'upsertedCount', number>> | undefined;
  if (!r || typeof r !== 'object') return false;
  return (r.insertedCount ?? 0) + (r.matchedCount ?? 0) + (r.modifiedCount ?? 0) + (r.deletedCount ?? 0) + (r.upsertedCount ?? 0) > 0;
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
