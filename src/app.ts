import { eventRoutes } from './admin/events.routes';
import express, { type Request } from 'express';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Container } from './container';
import { scimRouter } from './scim/router';
import { adminRouter } from './admin/router';
import { createUserOperations } from './scim/user-operations';
import { createGroupOperations } from './scim/group-operations';
import { createDirectoryRateLimiter } from './scim/rate-limit';
import { consoleRouter } from './admin/console-static';
import { directoryBrowseRoutes } from './admin/directory-browse.routes';
import { deprovisionGuardRoutes } from './admin/deprovision-guard.routes';
import { mappingRoutes } from './admin/mapping.routes';
import { groupBrowseRoutes } from './admin/group-browse.routes';
import { createBindingPreview } from './rbac/binding-preview';
import type { ConsoleSessions } from './admin/session-auth';
import { createSessionStore, sessionModel } from './admin/session-store';
import type { AdminKeyDoc } from './rbac/rbac.models';
import { requestLogCapture } from './scim/request-log-capture';
import { requestLogRoutes } from './admin/request-log.routes';
import { propagationLagRoutes } from './admin/propagation-lag.routes';
import { createLagByMinute } from './propagation/lag-by-minute';
import { openApiDocument } from './admin/openapi/document';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Builds the HTTP app from the container's parts; it never listens, so tests import it directly. */
export function buildApp(c: Container, opts: { consoleDir?: string } = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Express 5's default "extended" parser would turn `a[b]=c` into objects; SCIM queries are flat strings.
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: c.log,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (req) => ({ directoryId: (req as Request & { directoryId?: string }).directoryId }),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: String(req.url).split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [mongo, redis] = await Promise.all([
      c.mongo.db!.admin().ping().then(() => true, () => false),
      c.redis.ping().then((r) => r === 'PONG', () => false),
    ]);
    res.status(mongo && redis ? 200 : 503).json({ status: mongo && redis ? 'ready' : 'unavailable', mongo, redis });
  });

  const baseUrlOf = c.config.PUBLIC_BASE_URL
    ? () => c.scimBaseUrl
    : (req: Request) => `${req.protocol}://${req.get('host')}/scim/v2`;

  app.get('/metrics', async (_req, res) => {
    res.type(c.metrics.registry.contentType).send(await c.metrics.registry.metrics());
  });

  // Routes are labelled by shape (`/Users/:id`), never by id, so the metric's cardinality stays bounded.
  app.use('/scim/v2', (req, res, next) => {
    res.on('finish', () => {
      const [, resource = '', id] = req.path.split('/');
      const route = `/${resource}${id ? (id.startsWith('.') ? `/${id}` : '/:id') : ''}`;
      c.metrics.countScimRequest(req.method, route, res.statusCode);
    });
    next();
  });

  // The request log notes each request's start and response; off (null) when SCIM_REQUEST_LOG_DAYS is 0.
  const requestLog = c.requestLog ? requestLogCapture(c.requestLog) : null;
  if (requestLog) app.use('/scim/v2', requestLog.capture);

  app.use(
    '/scim/v2',
    scimRouter({
      tenancy: c.tenancy,
      users: createUserOperations({ users: c.users }),
      groups: createGroupOperations({ groups: c.groups }),
      limits: {
        maxResults: c.config.SCIM_MAX_RESULTS,
        bulkMaxOperations: c.config.SCIM_BULK_MAX_OPERATIONS,
        maxPayloadBytes: c.config.SCIM_MAX_PAYLOAD_BYTES,
      },
      rateLimit: createDirectoryRateLimiter({
        perSecond: c.config.SCIM_RATE_LIMIT_PER_SECOND,
        burst: c.config.SCIM_RATE_LIMIT_BURST,
      }),
      baseUrlOf,
      onChanges: (orgId, changeIds) => c.pipeline.notify(orgId, changeIds),
      onAudit: (ctx, event, changeId) =>
        void c.audit.record({
          orgId: ctx.orgId,
          actor: { type: 'directoryToken', id: ctx.directoryId },
          ...event,
          ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
          ...(changeId ? { changeId } : {}),
        }),
      onAuthenticated: requestLog?.attach,
      log: c.log,
    }),
  );

  const sessions: ConsoleSessions = {
    store: createSessionStore({ sessions: sessionModel(c.mongo) }),
    // The key behind a session, through the same fresh cache (kind and loader) the bearer lookup uses,
    // so a revocation ends the key's sessions at once on every instance.
    adminKeyById: (id) => c.fresh.read('adminkey', id, () => c.rbacModels.adminKeys.findOne({ _id: id }).lean<AdminKeyDoc>()),
    publicBaseUrl: c.config.PUBLIC_BASE_URL,
  };

  app.use('/console', consoleRouter({ dir: opts.consoleDir }));
  app.get('/', (_req, res) => res.redirect(302, '/console/'));

  // Unauthenticated, like a discovery document: it describes the API, never an organization's data.
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  app.use(
    '/api/v1',
    adminRouter({
      tenancy: c.tenancy,
      rbac: c.rbac,
      admin: c.rbacAdmin,
      access: c.access,
      audit: c.audit,
      tracking: c.tracking,
      pipeline: c.pipeline,
      sessions,
      extraRoutes: [directoryBrowseRoutes({ tenancy: c.tenancy, users: c.users }), deprovisionGuardRoutes({ tenancy: c.tenancy, guard: c.deprovision.guard, staging: c.deprovision.staging }), requestLogRoutes({ tenancy: c.tenancy, requestLog: c.requestLog }), propagationLagRoutes({ lag: createLagByMinute({ changes: c.changeDocs }) }), groupBrowseRoutes({ tenancy: c.tenancy, groups: c.groups, users: c.users }), mappingRoutes({ preview: createBindingPreview({ check: c.rbacAdmin.checkBinding, access: c.accessDocs, rbac: c.rbac, principals: c.principals, ids: c.store.ids }) }), eventRoutes({ eventLog: c.events.log, models: c.events.models, recorder: c.events.recorder, webhooks: c.webhooks, audit: c.audit, config: c.config, cleanup: c.events.cleanup })],
      scimBaseUrlOf: baseUrlOf,
      log: c.log,
    }),
  );

  app.use((_req, res) => {
    res.status(404).type('application/problem+json').json({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  return app;
}
