import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit.service';
import type { TenancyService } from '../directory/tenancy.service';
import type { AdminKeyDoc } from '../rbac/rbac.models';
import { Unauthorized } from '../shared/errors';
import { clearSessionCookie, refuseForeignOrigin, setSessionCookie, type ConsoleSessions } from './session-auth';
import type { AdminSessionDoc } from './session-store';

// POST /session exchanges an admin key for a console session; GET reads it back (the console keeps only
// the CSRF token, in memory, and asks again after a reload); DELETE signs out.

export const signIn = z.object({ adminKey: z.string().min(1).max(200) }).strict();

export interface SessionRouteDeps {
  sessions: ConsoleSessions;
  tenancy: Pick<TenancyService, 'findOrganization'>;
  audit: Pick<AuditLog, 'record'>;
  findAdminKeyBySecret: (secret: string) => Promise<AdminKeyDoc | null>;
  permissionsOf: (key: AdminKeyDoc) => Promise<Set<string>>;
}

async function presentSession(deps: SessionRouteDeps, key: AdminKeyDoc, session: AdminSessionDoc, permissions: Set<string>) {
  const org = await deps.tenancy.findOrganization(session.orgId);
  return {
    orgId: org._id,
    orgSlug: org.slug,
    keyName: key.name,
    permissions: [...permissions].sort(),
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt,
  };
}

/** Mounted ahead of authentication: signing in is how a browser gets authenticated. */
export function mountSignIn(router: Router, deps: SessionRouteDeps): void {
  router.post('/session', async (req: Request, res: Response) => {
    refuseForeignOrigin(req, deps.sessions.publicBaseUrl);
    const { adminKey } = signIn.parse(req.body);
    // The same lookup the bearer path makes: what a key may do over a cookie is what it may do over curl.
    const key = await deps.findAdminKeyBySecret(adminKey);
    if (!key || key.revokedAt) throw new Unauthorized('the admin key is not valid');
    const permissions = await deps.permissionsOf(key);
    const { sessionId, doc } = await deps.sessions.store.start(key.orgId, key._id);
    await deps.audit.record({
      orgId: key.orgId,
      actor: { type: 'adminKey', id: key._id, name: key.name },
      action: 'console.session_started',
      target: { type: 'adminKey', id: key._id, display: key.name },
      summary: { expiresAt: doc.expiresAt.toISOString() },
      requestId: String(req.id ?? ''),
    });
    setSessionCookie(req, res, sessionId, doc.expiresAt, deps.sessions.publicBaseUrl);
    res.status(201).json(await presentSession(deps, key, doc, permissions));
  });
}

/**
 * GET and DELETE /session, mounted after authentication; only a cookie-authenticated request has a
 * session (the auth middleware put it, and the key's permissions, on res.locals).
 */
export function mountSessionRoutes(router: Router, deps: SessionRouteDeps): void {
  type SessionLocals = { session?: AdminSessionDoc; admin: { permissions: Set<string> } };
  const sessionOf = (res: Response): AdminSessionDoc => {
    const session = (res.locals as SessionLocals).session;
    if (!session) throw new Unauthorized('no console session: this request was not sent with a session cookie');
    return session;
  };
  router.get('/session', async (_req: Request, res: Response) => {
    const session = sessionOf(res);
    const key = await deps.sessions.adminKeyById(session.keyId);
    if (!key) throw new Unauthorized('the console session has ended; sign in again');
    res.json(await presentSession(deps, key, session, (res.locals as SessionLocals).admin.permissions));
  });
  router.delete('/session', async (req: Request, res: Response) => {
    await deps.sessions.store.end(sessionOf(res)._id);
    clearSessionCookie(req, res, deps.sessions.publicBaseUrl);
    res.status(204).end();
  });
}
