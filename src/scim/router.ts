import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Logger } from '../shared/logger';
import { InvalidFilter, InvalidRequest, NotFound, Unauthorized } from '../shared/errors';
import type { TenancyService } from '../directory/tenancy.service';
import { runBulk } from './bulk';
import { getResourceType, getSchema, listResourceTypes, listSchemas, serviceProviderConfig } from './discovery';
import { scimError, toScimError } from './errors';
import type { GroupOperations } from './group-operations';
import { parseListRequest } from './list-request';
import { listResponse, type ListResponse } from './list-response';
import type { Projection } from './projection';
import { refuseHostileInput, refuseLongId, refuseLongIdParams, refuseUndecodablePath, scimJsonBody } from './request-guards';
import type { ScimRequestContext, ScimResult } from './result';
import type { UserOperations } from './user-operations';
import { SCIM_CONTENT_TYPE } from './urns';

export interface ScimRouterDeps {
  tenancy: Pick<TenancyService, 'authenticate'>;
  users: UserOperations;
  groups: GroupOperations;
  limits: { maxResults: number; bulkMaxOperations: number; maxPayloadBytes: number };
  rateLimit: (directoryId: string) => void;
  /** The absolute SCIM base URL for this request (PUBLIC_BASE_URL, or the request's own host). */
  baseUrlOf: (req: Request) => string;
  /** Told of every change id a request recorded (the propagation pipeline queues them). */
  onChanges?: (orgId: string, changeIds: string[]) => void;
  /** Told of every accepted write, for the audit log. */
  onAudit?: (ctx: ScimRequestContext, event: NonNullable<ScimResult['audit']>, changeId?: string) => void;
  /** Told which directory a request's token belongs to, before any limit can refuse it (the request log). */
  onAuthenticated?: (res: Response, who: { orgId: string; directoryId: string }) => void;
  log: Logger;
}

type Locals = { scim: ScimRequestContext };

export function scimRouter(deps: ScimRouterDeps): Router {
  const router = Router();

  // Ahead of the discovery routes, which need no token: every input is checked before any route reads it.
  router.use(refuseUndecodablePath, scimJsonBody(deps.limits.maxPayloadBytes), refuseHostileInput);
  refuseLongIdParams(router, ['id']);

  router.get('/ServiceProviderConfig', (req, res) =>
    sendJson(res, 200, serviceProviderConfig(deps.baseUrlOf(req), deps.limits)),
  );
  router.get('/ResourceTypes', (req, res) => sendJson(res, 200, listResourceTypes(deps.baseUrlOf(req))));
  router.get('/ResourceTypes/:id', (req, res) => sendJson(res, 200, getResourceType(deps.baseUrlOf(req), req.params.id)));
  router.get('/Schemas', (req, res) => sendJson(res, 200, listSchemas(deps.baseUrlOf(req))));
  router.get('/Schemas/:id', (req, res) => sendJson(res, 200, getSchema(deps.baseUrlOf(req), req.params.id)));

  router.use(async (req: Request, res: Response<unknown, Locals>, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new Unauthorized('a bearer token is required (Authorization: Bearer <directory token>)');
    const auth = await deps.tenancy.authenticate(match[1]);
    if (!auth) throw new Unauthorized('the bearer token is not valid for any directory');
    deps.onAuthenticated?.(res, { orgId: auth.directory.orgId, directoryId: auth.directory._id });
    deps.rateLimit(auth.directory._id);
    res.locals.scim = {
      orgId: auth.directory.orgId,
      directoryId: auth.directory._id,
      provider: auth.directory.provider,
      requestId: String(req.id ?? ''),
      baseUrl: deps.baseUrlOf(req),
      ifMatch: req.get('if-match') ?? undefined,
      ifNoneMatch: req.get('if-none-match') ?? undefined,
    };
    (req as Request & { log?: Logger }).log = (req as Request & { log?: Logger }).log?.child({ directoryId: auth.directory._id });
    next();
  });

  const ctx = (res: Response) => (res.locals as Locals).scim;
  const respond = (res: Response, r: ScimResult) => {
    if (r.changeIds?.length) deps.onChanges?.(ctx(res).orgId, r.changeIds);
    if (r.audit) deps.onAudit?.(ctx(res), r.audit, r.changeIds?.[0]);
    send(res, r);
  };
  const projectionOf = (req: Request): Projection => {
    const list = parseListRequest(req.query as Record<string, unknown>, deps.limits.maxResults);
    return { attributes: list.attributes, excludedAttributes: list.excludedAttributes };
  };
  const searchBody = (req: Request) => {
    const body = requireObject(req.body);
    const schemas = body.schemas;
    if (!Array.isArray(schemas) || !schemas.includes('urn:ietf:params:scim:api:messages:2.0:SearchRequest')) {
      throw new InvalidRequest('a search request must list urn:ietf:params:scim:api:messages:2.0:SearchRequest', 'invalidSyntax');
    }
    return parseListRequest(body, deps.limits.maxResults);
  };

  for (const [resource, ops] of [
    ['Users', deps.users],
    ['Groups', deps.groups],
  ] as const) {
    router.get(`/${resource}`, async (req, res) =>
      respond(res, await ops.list(ctx(res), parseListRequest(req.query as Record<string, unknown>, deps.limits.maxResults))),
    );
    router.post(`/${resource}/.search`, async (req, res) => respond(res, await ops.list(ctx(res), searchBody(req))));
    router.post(`/${resource}`, async (req, res) => respond(res, await ops.create(ctx(res), requireObject(req.body))));
    router.get(`/${resource}/:id`, async (req, res) => respond(res, await ops.get(ctx(res), req.params.id, projectionOf(req))));
    router.put(`/${resource}/:id`, async (req, res) =>
      respond(res, await ops.replace(ctx(res), req.params.id, requireObject(req.body))),
    );
    router.patch(`/${resource}/:id`, async (req, res) =>
      respond(res, await ops.patch(ctx(res), req.params.id, requireObject(req.body), projectionOf(req))),
    );
    router.delete(`/${resource}/:id`, async (req, res) => respond(res, await ops.remove(ctx(res), req.params.id)));
  }

  router.post('/.search', async (req, res) => respond(res, await searchAll(ctx(res), searchBody(req))));

  router.post('/Bulk', async (req, res) => {
    const c = ctx(res);
    const r = await runBulk(c, requireObject(req.body), (opCtx, method, path, data) => dispatch(opCtx, method, path, data), {
      maxOperations: deps.limits.bulkMaxOperations,
    });
    const changeIds: string[] = [];
    respond(res, { ...r, changeIds });
  });

  router.all('/Me', () => {
    throw Object.assign(new Error('/Me is not supported: a directory token does not identify a user'), {
      status: 501,
      expose: true,
    });
  });

  router.use(() => {
    throw new NotFound('SCIM endpoint');
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const mapped = toScimError(err);
    if (mapped) {
      if (mapped.status >= 500) (req as Request & { log?: Logger }).log?.warn({ err }, 'scim request failed');
      if (mapped.headers) res.set(mapped.headers);
      return sendJson(res, mapped.status, mapped.body);
    }
    const status = (err as { status?: number }).status;
    if (status === 501) return sendJson(res, 501, scimError(501, (err as Error).message).body);
    (req as Request & { log?: Logger }).log?.error({ err }, 'unexpected error in SCIM request');
    return sendJson(res, 500, scimError(500, 'internal error').body);
  });

  /** Bulk runs each operation through the same operations as the routes. */
  async function dispatch(c: ScimRequestContext, method: string, path: string, data: unknown): Promise<ScimResult> {
    const m = /^\/(Users|Groups)(?:\/([^/?]+))?\/?$/i.exec(path);
    if (!m) throw new InvalidRequest(`bulk path ${path} is not /Users or /Groups`, 'invalidPath');
    const ops = m[1].toLowerCase() === 'users' ? deps.users : deps.groups;
    const id = m[2];
    if (id) refuseLongId(id);
    let r: ScimResult;
    if (method === 'POST' && !id) r = await ops.create(c, requireObject(data));
    else if (method === 'PUT' && id) r = await ops.replace(c, id, requireObject(data));
    else if (method === 'PATCH' && id) r = await ops.patch(c, id, requireObject(data), {});
    else if (method === 'DELETE' && id) r = await ops.remove(c, id);
    else throw new InvalidRequest(`${method} ${path} is not a valid bulk operation`, 'invalidSyntax');
    if (r.changeIds?.length) deps.onChanges?.(c.orgId, r.changeIds);
    if (r.audit) deps.onAudit?.(c, r.audit, r.changeIds?.[0]);
    return r;
  }

  /** Search at the service root (RFC 7644 section 3.4.3): Users then Groups, paged as one list. */
  async function searchAll(c: ScimRequestContext, list: ReturnType<typeof parseListRequest>): Promise<ScimResult> {
    const window = { ...list, startIndex: 1, count: list.startIndex - 1 + list.count };
    let total = 0;
    let matchedAny = false;
    const all: unknown[] = [];
    for (const ops of [deps.users, deps.groups]) {
      try {
        const r = await ops.list(c, window);
        const body = r.body as ListResponse;
        total += body.totalResults;
        all.push(...body.Resources);
        matchedAny = true;
      } catch (err) {
        // An attribute one resource type lacks just means no match there.
        if (!(err instanceof InvalidFilter)) throw err;
      }
    }
    if (!matchedAny && list.filter) throw new InvalidFilter(`filter ${list.filter} matches no resource type's attributes`);
    const page = all.slice(list.startIndex - 1, list.startIndex - 1 + list.count);
    return { status: 200, body: listResponse(page, total, list.startIndex) };
  }

  return router;
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequest('the request body must be a JSON object', 'invalidSyntax');
  }
  return body as Record<string, unknown>;
}

function send(res: Response, r: ScimResult): void {
  if (r.location) res.set('Location', r.location);
  if (r.etag) res.set('ETag', r.etag);
  if (r.changeIds?.length) res.set('X-Change-Id', r.changeIds[0]);
  if (r.body === undefined) {
    res.status(r.status).end();
    return;
  }
  sendJson(res, r.status, r.body);
}

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).set('Content-Type', `${SCIM_CONTENT_TYPE}; charset=utf-8`).send(JSON.stringify(body));
}
