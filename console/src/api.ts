// The console's only way to the service: the public admin API under /api/v1, with the session cookie.
// The CSRF token lives in this module's memory only; the admin key never reaches browser storage.

import type { operations } from './api-types';

/** The JSON a documented operation answers on success, from the generated OpenAPI types (npm run openapi:types). */
export type AnswerOf<Op extends keyof operations, Status extends number = 200> = operations[Op]['responses'] extends Record<Status, { content: { 'application/json': infer T } }> ? T : never;

export type Session = AnswerOf<'getSession'>;

/** An RFC 9457 problem the API answered, with its words for the person at the screen. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: Array<{ path: string; message: string }> = [],
  ) {
    super(detail);
  }
}

let csrfToken: string | null = null;
let onSessionEnded: () => void = () => undefined;

export function rememberCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session expired, was signed out elsewhere or its key revoked. */
export function whenSessionEnds(callback: () => void): void {
  onSessionEnded = callback;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/session')) onSessionEnded();
    const p = (json ?? {}) as { detail?: string; title?: string; errors?: Array<{ path: string; message: string }> };
    throw new ApiProblem(res.status, p.detail ?? p.title ?? `the service answered ${res.status}`, p.errors);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);

// --- shapes the screens read -------------------------------------------------------------------

export interface Directory {
  id: string;
  name: string;
  provider: 'okta' | 'entra' | 'generic';
  scimBaseUrl: string;
  createdAt: string;
}

export interface DirectoryToken {
  id: string;
  hint: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface UserRow {
  id: string;
  userName: string;
  displayName: string | null;
  email: string | null;
  externalId: string | null;
  active: boolean;
  createdAt: string;
  lastModifiedAt: string;
}

export interface UserPage {
  total: number;
  startIndex: number;
  count: number;
  users: UserRow[];
}

export interface UserDetail extends UserRow {
  directoryId: string;
  attributes: Record<string, unknown>;
  groups: Array<{ id: string; displayName: string }>;
}

export interface GrantRef {
  bindingId: string;
  roleId: string;
  roleName: string;
  scope: 'organization' | 'project';
  projectId?: string;
  via: { type: 'user' | 'group' | 'serviceAccount'; id: string; display?: string };
  policyId?: string;
}

export interface PermissionGrants {
  permission: string;
  grants: GrantRef[];
}

export interface EffectiveAccess {
  subject: { type: string; id: string };
  isActive: boolean;
  stateVersion: number | null;
  computedAt?: string;
  organization: PermissionGrants[];
  projects: Array<{ projectId: string; permissions: PermissionGrants[] }>;
}

export interface LagWindow {
  applied: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface PropagationStats {
  pending: number;
  oldestPendingAgeMs: number | null;
  lagMs: { last5Minutes: LagWindow; last60Minutes: LagWindow };
  failed: { count: number; latest: unknown[] };
  queue: Record<string, number> | null;
}

export interface CheckResult {
  allowed: boolean;
  reason: string;
  grants: GrantRef[];
  subject: { type: string; id: string };
  stateVersion: number | null;
}

export interface Project {
  id: string;
  name: string;
  archived?: boolean;
}
