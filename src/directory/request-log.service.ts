import type { Model } from 'mongoose';
import type { Logger } from '../shared/logger';
import { isDuplicateKey } from '../shared/mongo';
import { failureOf, resourceOf, statusClassOf, storedRequestBody, storedResponseBody, type StatusClass } from './request-log-entry';
import { REQUEST_BLOCK_SIZE, type RequestLogEntryDoc, type RequestLogModels, type RequestSummaryDoc } from './request-log.model';

// The SCIM request log: the SCIM router hands over each finished request, this buffers it in memory and
// writes a batch every `flushMs` (one summary update and one unordered insert per directory), so a SCIM
// request pays for an array push. Masking, capping and parsing bodies happen in the flush, not the request.

/** What the SCIM edge knows of a finished request; bodies are raw (the flush masks them). */
export interface FinishedRequest {
  orgId: string;
  directoryId: string;
  at: Date;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  userAgent: string | null;
  requestId: string;
  requestBody: unknown;
  /** The response as sent, or its first 256 KB when longer (`responseChars` is then its whole length). */
  responseText: string | null;
  responseChars: number;
  /** The request's and response's sizes, so the buffer's memory stays bounded while the database is away. */
  approxBytes: number;
}

export interface RequestListFilter {
  /** `2xx`, `4xx`, `5xx` (a class) or an exact status such as `409`. */
  status?: string;
  resource?: string;
  /** Entries with a smaller seq than this (the previous page's `nextCursor`). */
  before?: number;
  limit: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Minutes of per-class counts a summary keeps (the overview reads the last 15). */
const KEPT_MINUTES = 60;
/** A page reads at most this many blocks (REQUEST_BLOCK_SIZE entries each), even when a filter matches little. */
const MAX_BLOCKS_PER_PAGE = 20;
/** Entries (and their bodies' bytes) held while the database does not answer; beyond either the oldest are dropped (and counted). */
const MAX_BUFFERED = 10_000;
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** A flush starts at once when this many entries wait, whatever the interval. */
const FLUSH_AT = 500;
const PURGE_EVERY_MS = 3_600_000;
/**
 * Each purge deletes this many days before the newest expired one, one equality delete a day: a day an
 * earlier purge missed (process down, a peer's late batch) is still found, and an empty day costs one index read.
 */
const PURGE_LOOKBACK_DAYS = 30;

const LIST_FIELDS = { request: 0, response: 0 } as const;

export type RequestLog = ReturnType<typeof createRequestLog>;

export function createRequestLog(deps: {
  models: RequestLogModels;
  retentionDays: number;
  flushMs: number;
  /** The store's large-delete path (FerretDB caps one delete at 65,535 documents). */
  deleteMatching: <T>(model: Model<T>, filter: Record<string, unknown>) => Promise<number>;
  log: Logger;
}) {
  const { entries, summaries } = deps.models;
  let buffer: FinishedRequest[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;
  let dropped = 0;
  let bufferedBytes = 0;
  let lastPurgeAt = 0;

  function record(r: FinishedRequest): void {
    while (buffer.length && (buffer.length >= MAX_BUFFERED || bufferedBytes + r.approxBytes > MAX_BUFFERED_BYTES)) {
      bufferedBytes -= buffer.shift()!.approxBytes;
      dropped++;
    }
    buffer.push(r);
    bufferedBytes += r.approxBytes;
    if (buffer.length >= FLUSH_AT) schedule(0);
    else schedule(deps.flushMs);
  }

  function schedule(delayMs: number): void {
    if (timer && delayMs > 0) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, delayMs);
    timer.unref();
  }

  /** Writes everything buffered so far; resolves once it is stored (tests and shutdown await it). */
  async function flush(): Promise<void> {
    while (flushing) await flushing;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferedBytes = 0;
    flushing = writeBatch(batch)
      .catch((err) => deps.log.warn({ err, entries: batch.length }, 'request log batch not stored'))
      .finally(() => {
        flushing = null;
      });
    await flushing;
    if (dropped) {
      deps.log.warn({ dropped }, 'request log entries dropped while the database did not answer');
      dropped = 0;
    }
    if (buffer.length) schedule(deps.flushMs);
    if (Date.now() - lastPurgeAt > PURGE_EVERY_MS) {
      lastPurgeAt = Date.now();
      void purge().catch((err) => deps.log.warn({ err }, 'request log purge failed'));
    }
  }

  async function writeBatch(batch: FinishedRequest[]): Promise<void> {
    const byDirectory = new Map<string, FinishedRequest[]>();
    for (const r of batch) byDirectory.set(r.directoryId, [...(byDirectory.get(r.directoryId) ?? []), r]);
    await Promise.all([...byDirectory.values()].map(writeDirectory));
  }

  async function writeDirectory(list: FinishedRequest[]): Promise<void> {
    const summary = await bumpSummary(list);
    const firstSeq = summary.seq - list.length + 1;
    const docs: RequestLogEntryDoc[] = list.map((r, i) => {
      const seq = firstSeq + i;
      return {
        _id: `${r.directoryId}.${seq}`,
        orgId: r.orgId,
        directoryId: r.directoryId,
        seq,
        block: Math.floor(seq / REQUEST_BLOCK_SIZE),
        day: Math.floor(r.at.getTime() / DAY_MS),
        at: r.at,
        method: r.method,
        path: r.path,
        resource: resourceOf(r.path),
        status: r.status,
        statusClass: statusClassOf(r.status),
        latencyMs: r.latencyMs,
        userAgent: r.userAgent,
        requestId: r.requestId,
        request: storedRequestBody(r.requestBody),
        response: storedResponseBody(r.responseText, r.responseChars),
        failure: failureOf(r.status, r.responseText),
      };
    });
    await entries.insertMany(docs, { ordered: false });
    await dropOldMinutes(summary);
  }

  /** Reserves `list.length` sequence numbers and records the last request and the per-minute counts in one update. */
  async function bumpSummary(list: FinishedRequest[]): Promise<RequestSummaryDoc> {
    const last = list[list.length - 1];
    const inc: Record<string, number> = { seq: list.length };
    for (const r of list) {
      const key = `minutes.m${Math.floor(r.at.getTime() / MINUTE_MS)}.${statusClassOf(r.status)}`;
      inc[key] = (inc[key] ?? 0) + 1;
    }
    const update = {
      $inc: inc,
      $set: { lastStatus: last.status, lastMethod: last.method, lastPath: last.path },
      $max: { lastAt: last.at },
      $setOnInsert: { orgId: last.orgId, firstAt: list[0].at },
    };
    const run = () => summaries.findOneAndUpdate({ _id: last.directoryId }, update, { upsert: true, returnDocument: 'after' }).lean<RequestSummaryDoc>();
    // Two processes creating the same summary at once: one insert wins, the other's update then matches.
    const doc = await run().catch((err: unknown) => (isDuplicateKey(err) ? run() : Promise.reject(err)));
    if (!doc) throw new Error(`request summary of ${last.directoryId} not returned`);
    return doc;
  }

  async function dropOldMinutes(summary: RequestSummaryDoc): Promise<void> {
    const oldest = Math.floor(Date.now() / MINUTE_MS) - KEPT_MINUTES;
    const stale = Object.keys(summary.minutes ?? {}).filter((k) => Number(k.slice(1)) < oldest);
    if (stale.length) await summaries.updateOne({ _id: summary._id }, { $unset: Object.fromEntries(stale.map((k) => [`minutes.${k}`, ''])) });
  }

  /** A page of a directory's log, newest first, without bodies; every query is an equality on the block. */
  async function list(orgId: string, directoryId: string, filter: RequestListFilter) {
    const summary = await summaries.findOne({ _id: directoryId, orgId }, { seq: 1 }).lean<{ seq: number }>();
    if (!summary) return { entries: [], nextCursor: null };
    const top = Math.min(summary.seq, (filter.before ?? Number.MAX_SAFE_INTEGER) - 1);
    const match: Record<string, unknown> = { orgId, directoryId };
    if (filter.status && /^\dxx$/.test(filter.status)) match.statusClass = filter.status;
    else if (filter.status) match.status = Number(filter.status);
    if (filter.resource) match.resource = filter.resource;
    const isFiltered = Boolean(filter.status || filter.resource);
    const found: RequestLogEntryDoc[] = [];
    let block = Math.floor(top / REQUEST_BLOCK_SIZE);
    let reads = 0;
    for (; block >= 0 && found.length <= filter.limit && reads < MAX_BLOCKS_PER_PAGE; block--, reads++) {
      const rows = await entries.find({ ...match, block }, LIST_FIELDS).lean<RequestLogEntryDoc[]>();
      // Unfiltered, an empty block means retention took everything older: the log ends here.
      if (!isFiltered && rows.length === 0 && block < Math.floor(top / REQUEST_BLOCK_SIZE)) {
        block = -1;
        break;
      }
      found.push(...rows.filter((r) => r.seq <= top).sort((a, b) => b.seq - a.seq));
    }
    const page = found.slice(0, filter.limit);
    // More than a page found: continue after its last entry. Stopped by the read bound: continue below the blocks read.
    const nextCursor = found.length > filter.limit ? page[page.length - 1].seq : block >= 0 ? (block + 1) * REQUEST_BLOCK_SIZE : null;
    return { entries: page, nextCursor };
  }

  /** One entry with its bodies; a request id the IdP reused names its newest request. */
  async function get(orgId: string, directoryId: string, requestId: string): Promise<RequestLogEntryDoc | null> {
    const rows = await entries.find({ orgId, directoryId, requestId }).lean<RequestLogEntryDoc[]>();
    return rows.sort((a, b) => b.seq - a.seq)[0] ?? null;
  }

  /** Each directory's last request and its counts by status class over the last `minutes` minutes. */
  async function summariesOf(orgId: string, minutes = 15, now = Date.now()) {
    const docs = await summaries.find({ orgId }).lean<RequestSummaryDoc[]>();
    const from = Math.floor(now / MINUTE_MS) - minutes + 1;
    return docs.map((d) => {
      const counts: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
      for (const [k, v] of Object.entries(d.minutes ?? {})) {
        if (Number(k.slice(1)) < from) continue;
        for (const [cls, n] of Object.entries(v)) counts[cls as StatusClass] += n ?? 0;
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const failed = counts['4xx'] + counts['5xx'];
      return {
        directoryId: d._id,
        requests: d.seq,
        firstAt: d.firstAt,
        last: { at: d.lastAt, status: d.lastStatus, method: d.lastMethod, path: d.lastPath },
        recent: { minutes, total, counts, failed, errorRate: total ? failed / total : null },
      };
    });
  }

  /** Deletes whole days older than the retention (every organization at once; days are an equality). */
  async function purge(now = new Date()): Promise<number> {
    const lastExpiredDay = Math.floor(now.getTime() / DAY_MS) - deps.retentionDays - 1;
    let deleted = 0;
    for (let day = lastExpiredDay - PURGE_LOOKBACK_DAYS; day <= lastExpiredDay; day++) deleted += await deps.deleteMatching(entries, { day });
    if (deleted) deps.log.info({ deleted }, 'request log entries past retention deleted');
    return deleted;
  }

  /** Stops the timer after writing what is buffered (process shutdown). */
  async function close(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    await flush();
  }

  return { record, flush, list, get, summaries: summariesOf, purge, close };
}
