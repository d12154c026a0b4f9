import { Router, type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { AuditLog } from '../audit/audit.service';
import type { TenancyService } from '../directory/tenancy.service';
import type { Pipeline } from '../propagation/pipeline';
import type { ChangeTracking } from '../propagation/tracking';
import type { AccessCheck } from '../rbac/access-check';
import { PERMISSIONS } from '../rbac/catalog';
import { PRESET_ROLES } from '../rbac/preset-roles';
import type { AdminContext, AdminWrite } from '../rbac/admin-write';
import type { RbacAdminService } from '../rbac/rbac-admin.service';
import type { RbacStore } from '../rbac/rbac.service';
import { Forbidden, NotFound, Unauthorized } from '../shared/errors';
import type { Logger } from '../shared/logger';
import * as input from './inputs';
import { problemHandler } from './problem';
import { parseQuery } from './query';
import { adminJsonBody, refuseHostileInput, refuseLongIdParams, refuseUndecodablePath } from './request-guards';
import type { AdminKeyDoc } from '../rbac/rbac.models';
import { authenticateBySession, type ConsoleSessions } from './session-auth';
import { mountSessionRoutes, mountSignIn } from './session.routes';
import type { AdminSessionDoc } from './session-store';
import { presentApiKey, presentBinding, presentChange, presentProject, presentRole, presentPolicy, presentServiceAccount, presentAuditEvent } from './present';

/** What a route module gets from the router: the authorized route wrapper and the small helpers around it. */
export interface RouteKit {
  router: Router;
  route: <S extends z.ZodType = typeof input.noQuery>(permission: string | null, handler: Handler<z.infer<S>>, query?: S) => (req: Request, res: Response<unknown, Locals>) => Promise<void>;
  ctxOf: (req: Request, res: Response<unknown, Locals>) => AdminContext;
  orgOf: (res: Response<unknown, Locals>) => string;
  param: (req: Request, name: string) => string;
}

export interface AdminRouterDeps {
  /** Route modules mounted after the core routes (events, webhooks). */
  extraRoutes?: Array<(kit: RouteKit) => void>;
  tenancy: TenancyService;
  rbac: RbacStore;
  admin: RbacAdminService;
  access: AccessCheck;
  audit: AuditLog;
  tracking: ChangeTracking;
  pipeline: Pipeline;
  scimBaseUrlOf: (req: Request) => string;
  /** Console sessions (cookie + CSRF token) accepted beside bearer admin keys; absent, only keys are. */
  sessions?: ConsoleSessions;
  log: Logger;
}

interface AdminPrincipal {
  orgId: string;
  keyId: string;
  keyName: string;
  permissions: Set<string>;
}

export type Locals = { admin: AdminPrincipal; session?: AdminSessionDoc };
export type Handler<Q = unknown> = (req: Request, res: Response<unknown, Locals>, query: Q) => Promise<unknown>;

/** Long-polls on a change wait at most this long, so no request outlives a proxy's timeout. */
const MAX_WAIT_MS = 30_000;

/**
 * The admin API under /api/v1: JSON in, JSON or RFC 9457 problems out. Authenticated by admin keys
 * and authorized by our own permission catalog: the key's role must hold the route's permission.
 */
export function adminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  // Every input is checked before authentication or any route reads it.
  router.use(refuseUndecodablePath, adminJsonBody(), refuseHostileInput);
  refuseLongIdParams(router, ['org', 'id', 'project', 'tokenId']);

  const permissionsOf = (key: AdminKeyDoc) => permissionsOfRole(key.orgId, key.roleId);
  const principalOf = async (key: AdminKeyDoc): Promise<AdminPrincipal> => ({ orgId: key.orgId, keyId: key._id, keyName: key.name, permissions: await permissionsOf(key) });
  const sessionDeps = deps.sessions && { sessions: deps.sessions, tenancy: deps.tenancy, audit: deps.audit, findAdminKeyBySecret: deps.rbac.findAdminKeyBySecret, permissionsOf };
  if (sessionDeps) mountSignIn(router, sessionDeps);

  // An Authorization header means a bearer admin key (curl, apps); without one, the console's session cookie.
  router.use(async (req: Request, res: Response<unknown, Locals>, next: NextFunction) => {
    const authorization = req.get('authorization');
    if (authorization === undefined && deps.sessions) {
      const viaSession = await authenticateBySession(deps.sessions, req);
      if (viaSession) {
        res.locals.admin = await principalOf(viaSession.key);
        res.locals.session = viaSession.session;
        return next();
      }
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new Unauthorized('an admin key is required (Authorization: Bearer <admin key>)');
    const key = await deps.rbac.findAdminKeyBySecret(m[1]);
    if (!key || key.revokedAt) throw new Unauthorized('the admin key is not valid');
    res.locals.admin = await principalOf(key);
    next();
  });

  async function permissionsOfRole(orgId: string, roleId: string): Promise<Set<string>> {
    const preset = PRESET_ROLES.find((r) => r.id === roleId);
    if (preset) return new Set(preset.permissions);
    const role = await deps.rbac.findRole(orgId, roleId);
    if (!role) return new Set();
    const out = new Set(role.permissions);
    for (const id of role.policyIds ?? []) for (const p of (await deps.rbac.findPolicy(orgId, id))?.permissions ?? []) out.add(p);
    return out;
  }

  /**
   * Runs a handler once the key is known to belong to the path's organization and to hold `permission`,
   * with the query parsed by `query` (strict: a route that names no schema takes no query parameters).
   */
  function route<S extends z.ZodType = typeof input.noQuery>(permission: string | null, handler: Handler<z.infer<S>>, query?: S) {
    return async (req: Request, res: Response<unknown, Locals>) => {
      const admin = res.locals.admin;
      if (req.params.org !== undefined) {
        const org = String(req.params.org);
        // Another organization's id or slug gets the same answer as a missing one: nothing leaks.
        if (org !== admin.orgId) {
          // Only a missing organization is "not yours": a store that cannot answer is a 503, never a 403.
          const found = await deps.tenancy.findOrganization(org).catch((err: unknown) => (err instanceof NotFound ? null : Promise.reject(err)));
          if (!found || found._id !== admin.orgId) throw new Forbidden('this admin key cannot act on that organization');
        }
      }
      if (permission && !admin.permissions.has(permission)) throw new Forbidden(`this admin key lacks ${permission}`);
      const out = await handler(req, res, parseQuery((query ?? input.noQuery) as S, req.query));
      if (!res.headersSent) res.json(out);
    };
  }

  const ctxOf = (req: Request, res: Response<unknown, Locals>): AdminContext => ({
    orgId: res.locals.admin.orgId,
    actor: { type: 'adminKey', id: res.locals.admin.keyId, name: res.locals.admin.keyName },
    requestId: String(req.id ?? ''),
  });
  const orgOf = (res: Response<unknown, Locals>) => res.locals.admin.orgId;
  const created = (res: Response, changeIds: string[] = []) => {
    res.status(201);
    if (changeIds.length) res.set('X-Change-Id', changeIds[0]);
  };
  const changed = (res: Response, changeIds: string[]) => {
    if (changeIds.length) res.set('X-Change-Id', changeIds[0]);
  };
  const p = (req: Request, name: string) => String(req.params[name]);
  // Writes that change access answer X-Change-Id, so the caller can wait on /changes/:id before checking.
  const updateRoute = <B, T>(
    permission: string,
    body: { parse(input: unknown): B },
    update: (ctx: AdminContext, id: string, patch: B) => Promise<AdminWrite<T>>,
    present: (doc: T) => unknown,
  ) =>
    route(permission, async (req, res) => {
      const w = await update(ctxOf(req, res), p(req, 'id'), body.parse(req.body));
      changed(res, w.changeIds);
      return present(w.result);
    });
  const deleteRoute = (permission: string, remove: (ctx: AdminContext, id: string) => Promise<{ changeIds: string[] }>) =>
    route(permission, async (req, res) => {
      const w = await remove(ctxOf(req, res), p(req, 'id'));
      changed(res, w.changeIds);
      res.status(204).end();
    });

  if (sessionDeps) mountSessionRoutes(router, sessionDeps);

  // --- catalog ----------------------------------------------------------------------------------
  router.get('/permissions', route(null, async () => ({ permissions: PERMISSIONS })));
  router.get('/preset-roles', route(null, async () => ({ roles: PRESET_ROLES })));

  // --- organization -----------------------------------------------------------------------------
  router.get('/orgs/:org', route(null, async (_req, res) => {
    const org = await deps.tenancy.findOrganization(orgOf(res));
    return { id: org._id, slug: org.slug, name: org.name, createdAt: org.createdAt };
  }));

  // --- projects ---------------------------------------------------------------------------------
  router.post('/orgs/:org/projects', route('api.project_administration.write', async (req, res) => {
    const body = input.projectCreate.parse(req.body);
    const w = await deps.admin.createProject(ctxOf(req, res), body.name);
    created(res, w.changeIds);
    return presentProject(w.result);
  }));
  router.get('/orgs/:org/projects', route('api.project_administration.read', async (_req, res, q) => ({
    projects: (await deps.rbac.listProjects(orgOf(res), q.includeArchived === 'true')).map(presentProject),
  }), input.projectListQuery));
  router.get('/orgs/:org/projects/:id', route('api.project_administration.read', async (req, res) =>
    presentProject(await deps.rbac.getProject(orgOf(res), p(req, 'id')))));
  router.patch('/orgs/:org/projects/:id', updateRoute('api.project_administration.write', input.projectUpdate, deps.admin.updateProject, presentProject));

  // --- policies ---------------------------------------------------------------------------------
  router.post('/orgs/:org/policies', route('api.role.write', async (req, res) => {
    const w = await deps.admin.createPolicy(ctxOf(req, res), input.policyCreate.parse(req.body));
    created(res);
    return presentPolicy(w.result);
  }));
  router.get('/orgs/:org/policies', route('api.role.read', async (_req, res) => ({
    policies: (await deps.rbac.listPolicies(orgOf(res))).map(presentPolicy),
  })));
  router.get('/orgs/:org/policies/:id', route('api.role.read', async (req, res) => presentPolicy(await deps.rbac.getPolicy(orgOf(res), p(req, 'id')))));
  router.patch('/orgs/:org/policies/:id', updateRoute('api.role.write', input.policyUpdate, deps.admin.updatePolicy, presentPolicy));
  router.delete('/orgs/:org/policies/:id', deleteRoute('api.role.write', deps.admin.deletePolicy));

  // --- roles ------------------------------------------------------------------------------------
  router.post('/orgs/:org/roles', route('api.role.write', async (req, res) => {
    const w = await deps.admin.createRole(ctxOf(req, res), input.roleCreate.parse(req.body));
    created(res);
    return presentRole(w.result);
  }));
  router.get('/orgs/:org/roles', route('api.role.read', async (_req, res) => ({
    roles: [...PRESET_ROLES.map((r) => ({ ...r, preset: true })), ...(await deps.rbac.listRoles(orgOf(res))).map(presentRole)],
  })));
  router.get('/orgs/:org/roles/:id', route('api.role.read', async (req, res) => {
    const preset = PRESET_ROLES.find((r) => r.id === p(req, 'id'));
    return preset ? { ...preset, preset: true } : presentRole(await deps.rbac.getRole(orgOf(res), p(req, 'id')));
  }));
  router.patch('/orgs/:org/roles/:id', updateRoute('api.role.write', input.roleUpdate, deps.admin.updateRole, presentRole));
  router.delete('/orgs/:org/roles/:id', deleteRoute('api.role.write', deps.admin.deleteRole));

  // --- bindings ---------------------------------------------------------------------------------
  router.post('/orgs/:org/bindings', route('api.role.write', async (req, res) => {
    const w = await deps.admin.createBinding(ctxOf(req, res), input.bindingCreate.parse(req.body));
    if (w.result.created) created(res, w.changeIds);
    return presentBinding(w.result.binding);
  }));
  router.get('/orgs/:org/bindings', route('api.role.read', async (_req, res, q) => {
    const list = await deps.rbac.listBindings(orgOf(res), { principalType: q.principalType, principalId: q.principalId, roleId: q.roleId, projectId: q.projectId });
    return { bindings: list.map(presentBinding) };
  }, input.bindingListQuery));
  router.get('/orgs/:org/bindings/:id', route('api.role.read', async (req, res) => presentBinding(await deps.rbac.getBinding(orgOf(res), p(req, 'id')))));
  router.delete('/orgs/:org/bindings/:id', deleteRoute('api.role.write', deps.admin.deleteBinding));

  // --- service accounts -------------------------------------------------------------------------
  router.post('/orgs/:org/projects/:project/service-accounts', route('api.service_account.write', async (req, res) => {
    const w = await deps.admin.createServiceAccount(ctxOf(req, res), p(req, 'project'), input.serviceAccountCreate.parse(req.body).name);
    created(res);
    return presentServiceAccount(w.result);
  }));
  router.get('/orgs/:org/projects/:project/service-accounts', route('api.service_account.read', async (req, res) => ({
    serviceAccounts: (await deps.rbac.listServiceAccounts(orgOf(res), p(req, 'project'))).map(presentServiceAccount),
  })));
  router.delete('/orgs/:org/service-accounts/:id', deleteRoute('api.service_account.write', deps.admin.deleteServiceAccount));

  // --- API keys ---------------------------------------------------------------------------------
  router.post('/orgs/:org/api-keys', route('api.project_api_key.write', async (req, res) => {
    const w = await deps.admin.createApiKey(ctxOf(req, res), input.apiKeyCreate.parse(req.body));
    created(res);
    // The secret is shown once, here; only its hash is stored.
    return { ...presentApiKey(w.result.key), secret: w.result.secret };
  }));
  router.get('/orgs/:org/api-keys', route('api.project_api_key.read', async (_req, res, q) => ({
    apiKeys: (await deps.rbac.listApiKeys(orgOf(res), { projectId: q.projectId, ownerId: q.ownerId })).map(presentApiKey),
  }), input.apiKeyListQuery));
  router.get('/orgs/:org/api-keys/:id', route('api.project_api_key.read', async (req, res) => presentApiKey(await deps.rbac.getApiKey(orgOf(res), p(req, 'id')))));
  router.post('/orgs/:org/api-keys/:id/revoke', route('api.project_api_key.write', async (req, res) =>
    presentApiKey((await deps.admin.revokeApiKey(ctxOf(req, res), p(req, 'id'))).result)));

  // --- directories and SCIM tokens --------------------------------------------------------------
  const presentDirectory = (d: { _id: string; name: string; provider: string; createdAt: Date }, req: Request) => ({
    id: d._id,
    name: d.name,
    provider: d.provider,
    scimBaseUrl: deps.scimBaseUrlOf(req),
    createdAt: d.createdAt,
  });
  router.post('/orgs/:org/directories', route('api.organization_admin.write', async (req, res) => {
    const body = input.directoryCreate.parse(req.body);
    const { directory, token } = await deps.tenancy.createDirectory({ orgId: orgOf(res), name: body.name, provider: body.provider });
    await deps.audit.record({ ...auditBase(req, res), action: 'directory.created', target: { type: 'directory', id: directory._id, display: directory.name }, summary: { after: { provider: body.provider } } });
    created(res);
    return { ...presentDirectory(directory, req), token: token.token, tokenId: token.tokenId };
  }));
  router.get('/orgs/:org/directories', route('api.organization_admin.read', async (req, res) => ({
    directories: (await deps.tenancy.listDirectories(orgOf(res))).map((d) => presentDirectory(d, req)),
  })));
  router.post('/orgs/:org/directories/:id/tokens', route('api.organization_admin.write', async (req, res) => {
    const dir = await deps.tenancy.getDirectory(p(req, 'id'), orgOf(res));
    const token = await deps.tenancy.issueToken(dir._id);
    await deps.audit.record({ ...auditBase(req, res), action: 'directory.token_issued', target: { type: 'directory', id: dir._id, display: dir.name }, summary: { tokenId: token.tokenId } });
    created(res);
    // Rotation overlap: older tokens keep working until revoked, so the IdP can be re-configured first.
    return { tokenId: token.tokenId, token: token.token };
  }));
  router.get('/orgs/:org/directories/:id/tokens', route('api.organization_admin.read', async (req, res) => {
    const dir = await deps.tenancy.getDirectory(p(req, 'id'), orgOf(res));
    return { tokens: await deps.tenancy.listTokens(dir._id) };
  }));
  router.delete('/orgs/:org/directories/:id/tokens/:tokenId', route('api.organization_admin.write', async (req, res) => {
    const dir = await deps.tenancy.getDirectory(p(req, 'id'), orgOf(res));
    await deps.tenancy.revokeToken(dir._id, p(req, 'tokenId'));
    await deps.audit.record({ ...auditBase(req, res), action: 'directory.token_revoked', target: { type: 'directory', id: dir._id, display: dir.name }, summary: { tokenId: p(req, 'tokenId') } });
    res.status(204).end();
  }));

  const auditBase = (req: Request, res: Response<unknown, Locals>) => {
    const c = ctxOf(req, res);
    return { orgId: c.orgId, actor: c.actor, requestId: c.requestId };
  };

  // --- access checks (the hot path) ---------------------------------------------------------------
  router.post('/access/check', route(null, async (req, res) => deps.access.check(orgOf(res), input.accessCheck.parse(req.body))));
  router.post('/access/check-batch', route(null, async (req, res) => {
    const body = input.accessCheckBatch.parse(req.body);
    return { results: await deps.access.checkBatch(orgOf(res), body.checks) };
  }));
  router.get('/orgs/:org/users/:id/permissions', route(null, async (req, res, q) =>
    deps.access.effective(orgOf(res), 'user', p(req, 'id'), q.projectId), input.permissionsQuery));
  router.get('/orgs/:org/service-accounts/:id/permissions', route(null, async (req, res, q) =>
    deps.access.effective(orgOf(res), 'serviceAccount', p(req, 'id'), q.projectId), input.permissionsQuery));

  // --- audit ------------------------------------------------------------------------------------
  router.get('/orgs/:org/audit', route('api.organization_admin.read', async (_req, res, q) => {
    const page = await deps.audit.list(orgOf(res), q);
    return { events: page.events.map(presentAuditEvent), nextCursor: page.nextCursor };
  }, input.auditQuery));

  // --- propagation ------------------------------------------------------------------------------
  router.get('/changes/:id', route(null, async (req, res, q) => {
    const wait = Math.min(MAX_WAIT_MS, q.wait ?? 0);
    const c = wait > 0 ? await deps.tracking.waitFor(orgOf(res), p(req, 'id'), wait) : await deps.tracking.get(orgOf(res), p(req, 'id'));
    return presentChange(c);
  }, input.changeQuery));
  router.post('/changes/:id/retry', route('api.organization_admin.write', async (req, res) => {
    const c = await deps.tracking.redrive(orgOf(res), p(req, 'id'));
    await deps.pipeline.queue.requeue([{ id: c._id, orgId: c.orgId }]);
    return presentChange(c);
  }));
  router.get('/orgs/:org/propagation', route(null, async (_req, res) => {
    const stats = await deps.tracking.stats(orgOf(res));
    return {
      ...stats,
      failed: { ...stats.failed, latest: stats.failed.latest.map(presentChange) },
      queue: await deps.pipeline.queue.depth().catch(() => null),
    };
  }));
  router.get('/orgs/:org/deprovisioning', route('api.organization_admin.read', async (_req, res, q) => ({
    users: await deps.tracking.deprovisioningReport(orgOf(res), q.limit),
  }), input.deprovisioningQuery));

  for (const mount of deps.extraRoutes ?? []) mount({ router, route, ctxOf, orgOf, param: p });

  router.use((_req: Request) => {
    throw new NotFound('route');
  });
  router.use(problemHandler(deps.log));
  return router;
}
