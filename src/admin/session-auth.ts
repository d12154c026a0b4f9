import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { AdminKeyDoc } from '../rbac/rbac.models';
import { Forbidden, Unauthorized } from '../shared/errors';
import type { AdminSessionDoc, SessionStore } from './session-store';

/** What the admin router needs to accept console sessions beside bearer admin keys. */
export interface ConsoleSessions {
  store: SessionStore;
  /** The key a session stands for, read fresh on every request, so a revoked key ends its sessions at once. */
  adminKeyById: (id: string) => Promise<AdminKeyDoc | null>;
  /** When set, the service's own origin (and https, so cookies are Secure) comes from it, not from the request. */
  publicBaseUrl?: string;
}

export const SESSION_COOKIE = 'scim_sync_session';
export const CSRF_HEADER = 'X-CSRF-Token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session id a request's Cookie header carries, if any (no cookie library: one name is read). */
export function sessionIdOf(req: Request): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^ses_[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
    }
  }
  return null;
}

export function ownOriginOf(req: Request, publicBaseUrl?: string): string {
  return publicBaseUrl ? new URL(publicBaseUrl).origin : `${req.protocol}://${req.get('host')}`;
}

/**
 * Refuses a cross-site request: a browser always names the page's origin on a POST, so an Origin that
 * is not ours is a page elsewhere using our cookie (or, on sign-in, planting its own key's session).
 */
export function refuseForeignOrigin(req: Request, publicBaseUrl?: string): void {
  const origin = req.get('origin');
  if (origin !== undefined && origin !== ownOriginOf(req, publicBaseUrl)) {
    throw new Forbidden('the request comes from another origin');
  }
}

/**
 * The session and key behind a request's cookie, or null when it carries none. A cookie that names no
 * live session, or whose key is revoked, is a 401; a write without the session's CSRF token is a 403.
 */
export async function authenticateBySession(
  sessions: ConsoleSessions,
  req: Request,
): Promise<{ key: AdminKeyDoc; session: AdminSessionDoc } | null> {
  const sessionId = sessionIdOf(req);
  if (!sessionId) return null;
  const session = await sessions.store.find(sessionId);
  if (!session) throw new Unauthorized('the console session has ended; sign in again');
  const key = await sessions.adminKeyById(session.keyId);
  if (!key || key.revokedAt || key.orgId !== session.orgId) {
    await sessions.store.end(session._id);
    throw new Unauthorized('the admin key of this session was revoked; sign in again');
  }
  if (!SAFE_METHODS.has(req.method)) {
    refuseForeignOrigin(req, sessions.publicBaseUrl);
    if (!sameToken(req.get(CSRF_HEADER) ?? '', session.csrfToken)) {
      throw new Forbidden(`a write with a console session needs the session's ${CSRF_HEADER} header`);
    }
  }
  return { key, session };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

function isSecure(req: Request, publicBaseUrl?: string): boolean {
  return req.secure || (publicBaseUrl?.startsWith('https:') ?? false);
}

export function setSessionCookie(req: Request, res: Response, sessionId: string, expiresAt: Date, publicBaseUrl?: string): void {
  res.cookie(SESSION_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: isSecure(req, publicBaseUrl),
    expires: expiresAt,
  });
}

export function clearSessionCookie(req: Request, res: Response, publicBaseUrl?: string): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: isSecure(req, publicBaseUrl) });
}
