/** What a SCIM operation answers, independent of HTTP, so routes and Bulk share one implementation. */
export interface ScimResult {
  status: number;
  body?: Record<string, unknown>;
  location?: string;
  etag?: string;
  changeIds?: string[];
  /** An accepted write, as the audit log records it (never a password or a whole payload). */
  audit?: { action: string; target: { type: string; id: string; display?: string }; summary: Record<string, unknown> };
}

export interface ScimRequestContext {
  orgId: string;
  directoryId: string;
  provider: 'okta' | 'entra' | 'generic';
  requestId?: string;
  baseUrl: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}
