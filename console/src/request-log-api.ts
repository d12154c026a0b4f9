// Shapes of the request-log and overview-figures routes (GET .../requests, .../request-summaries, .../propagation/lag).

export interface RequestRow {
  requestId: string;
  seq: number;
  at: string;
  method: string;
  path: string;
  resource: string;
  status: number;
  statusClass: string;
  latencyMs: number;
  userAgent: string | null;
  reason: string | null;
}

export interface RequestPage {
  requests: RequestRow[];
  nextCursor: number | null;
}

export interface StoredBody {
  body: string | null;
  chars: number;
  isTruncated: boolean;
}

export interface RequestEntry extends RequestRow {
  directoryId: string;
  failure: { detail: string | null; scimType: string | null; reason: string } | null;
  request: StoredBody;
  response: StoredBody;
}

export interface RequestSummary {
  directoryId: string;
  requests: number;
  firstAt: string;
  last: { at: string; status: number; method: string; path: string };
  recent: { minutes: number; total: number; failed: number; errorRate: number | null; counts: Record<string, number> };
}

export interface LagMinute {
  at: string;
  applied: number;
  p50: number | null;
  p99: number | null;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description?: string | null;
  status: string;
  [more: string]: unknown;
}
