import { Schema, type Connection, type Model } from 'mongoose';
import { defineCollection } from '../shared/define-collection';
import type { RequestFailure, StatusClass, StoredBody } from './request-log-entry';

/**
 * Entries are numbered per directory (`seq`) and grouped in blocks of this many, so a page of the log,
 * newest first, is a few equality reads on `(directoryId, block)`: FerretDB pushes down equalities but
 * no sort or range, and MongoDB answers the same reads from the index.
 */
export const REQUEST_BLOCK_SIZE = 100;

/** One SCIM request a directory token made. */
export interface RequestLogEntryDoc {
  /** `${directoryId}.${seq}`: a retried batch insert cannot store an entry twice. */
  _id: string;
  orgId: string;
  directoryId: string;
  seq: number;
  block: number;
  /** Days since the epoch (UTC) of `at`: retention deletes whole days by equality. */
  day: number;
  at: Date;
  method: string;
  path: string;
  resource: string;
  status: number;
  statusClass: StatusClass;
  latencyMs: number;
  userAgent: string | null;
  requestId: string;
  request: StoredBody;
  response: StoredBody;
  failure: RequestFailure | null;
}

/** Per directory: the last request, the entry counter and per-minute counts by status class (for an error rate). */
export interface RequestSummaryDoc {
  _id: string;
  orgId: string;
  seq: number;
  firstAt: Date;
  lastAt: Date;
  lastStatus: number;
  lastMethod: string;
  lastPath: string;
  /** `m<minute since epoch>` -> `{ '2xx': n, '4xx': n, ... }`; minutes older than an hour are dropped by the writer. */
  minutes: Record<string, Partial<Record<StatusClass, number>>>;
}

export interface RequestLogModels {
  entries: Model<RequestLogEntryDoc>;
  summaries: Model<RequestSummaryDoc>;
}

const body = { text: { type: String, default: null }, chars: Number, isTruncated: Boolean };

export function requestLogModels(conn: Connection): RequestLogModels {
  const entries = defineCollection<RequestLogEntryDoc>(conn, 'ScimRequest', 'scim_requests', {
    fields: {
      _id: String,
      orgId: String,
      directoryId: String,
      seq: Number,
      block: Number,
      day: Number,
      at: Date,
      method: String,
      path: String,
      resource: String,
      status: Number,
      statusClass: String,
      latencyMs: Number,
      userAgent: { type: String, default: null },
      requestId: String,
      request: body,
      response: body,
      failure: { type: { detail: String, scimType: String, reason: String }, default: null },
    },
    indexes: [[{ directoryId: 1, block: 1 }], [{ directoryId: 1, requestId: 1 }], [{ day: 1 }]],
  });
  const summaries = defineCollection<RequestSummaryDoc>(conn, 'ScimRequestSummary', 'scim_request_summaries', {
    fields: {
      _id: String,
      orgId: String,
      seq: Number,
      firstAt: Date,
      lastAt: Date,
      lastStatus: Number,
      lastMethod: String,
      lastPath: String,
      minutes: { type: Schema.Types.Mixed, default: {} },
    },
    indexes: [[{ orgId: 1 }]],
  });
  return { entries, summaries };
}
