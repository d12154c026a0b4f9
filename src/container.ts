import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { type Config, scimBaseUrl } from './config';
import { createLogger, type Logger } from './shared/logger';
import { connectMongo } from './shared/mongo';
import { connectRedis } from './shared/redis';
import { createFreshCache, type FreshCache } from './shared/fresh-cache';
import { createLastUsed } from './shared/last-used';
import { chooseBackend, type StoreBackend } from './store/backend';
import { createStore, type Store } from './store/store';
import { directoryModels, type DirectoryModels } from './directory/models';
import { createTenancyService, type TenancyService } from './directory/tenancy.service';
import { createUserService, type UserService } from './directory/user.service';
import { createGroupService, type GroupService } from './directory/group.service';
import { createPrincipalRegistry, type PrincipalRegistry } from './directory/principal-registry';
import { changeModel, changeSliceModel } from './propagation/change.model';
import { createChangeLog, type ChangeLog } from './propagation/change-log';
import { createPipeline, type Pipeline } from './propagation/pipeline';
import { accessModel, type AccessDoc } from './rbac/access.model';
import { createAccessCheck, type AccessCheck } from './rbac/access-check';
import { createAccessRecompute, type AccessRecompute } from './rbac/access-recompute';
import { rbacModels, type RbacModels } from './rbac/rbac.models';
import { createRbacStore, type RbacStore } from './rbac/rbac.service';
import { createReconcileService } from './rbac/reconcile.service';
import { createRbacAdminService, type RbacAdminService } from './rbac/rbac-admin.service';
import { createChangeTracking, type ChangeTracking } from './propagation/tracking';
import { createMetrics, type Metrics } from './propagation/metrics';
import { auditModel, createAuditLog, type AuditLog } from './audit/audit.service';
import { createPrincipalQueries, type PrincipalQueries } from './directory/principal.queries';
import type { ChangeDoc } from './propagation/change.model';
import { eventModels, type EventModels } from './events/event.model';
import { createEventsQueue, type EventsQueue } from './events/events-queue';
import { createEventRecorder, type EventRecorder } from './events/event-recorder';
import { createEventLog, type EventLog } from './events/event-log';
import { createSequencer, type Sequencer } from './events/sequencer';
import { createDeliveryCleanup, type DeliveryCleanup } from './events/delivery-cleanup';
import { createWebhookDeliveries, type WebhookDeliveries } from './events/webhook-deliveries';
import { createAccessEvents } from './events/access-events';
import { createWebhookMetrics } from './events/webhook-metrics';
import type { Model } from 'mongoose';
import { deprovisionGuardModels, type DeprovisionGuardModels } from './directory/deprovision-guard.model';
import { createDeprovisionGuard, type DeprovisionGuard } from './directory/deprovision-guard';
import { createDeprovisionStaging, type DeprovisionStaging } from './directory/deprovision-guard-staging';
import { heldAwarePrincipals } from './directory/deprovision-guard-principals';
import { createDeprovisionGuardMetrics } from './directory/deprovision-guard-metrics';
import { requestLogModels, type RequestLogModels } from './directory/request-log.model';
import { createRequestLog, type RequestLog } from './directory/request-log.service';

export interface Container {
  config: Config;
  log: Logger;
  mongo: Connection;
  /** The storage seam: the only part that knows whether MongoDB or FerretDB answers. */
  store: Store;
  redis: Redis;
  models: DirectoryModels;
  changes: ChangeLog;
  changeDocs: Model<ChangeDoc>;
  rbacModels: RbacModels;
  rbac: RbacStore;
  fresh: FreshCache;
  principals: PrincipalQueries;
  access: AccessCheck;
  accessRecompute: AccessRecompute;
  /** The materialized access documents (read in bulk by the binding impact preview). */
  accessDocs: Model<AccessDoc>;
  audit: AuditLog;
  pipeline: Pipeline;
  rbacAdmin: RbacAdminService;
  tracking: ChangeTracking;
  metrics: Metrics;
  tenancy: TenancyService;
  users: UserService;
  groups: GroupService;
  registry: PrincipalRegistry;
  /** The event log: producers record drafts, the sequencer orders them, the log is read by the API and replay. */
  events: { models: EventModels; queue: EventsQueue; recorder: EventRecorder; sequencer: Sequencer; log: EventLog; cleanup: DeliveryCleanup };
  webhooks: WebhookDeliveries;
  /** The mass-deprovisioning safety valve: the threshold (used by the user service) and the staged users. */
  deprovision: { models: DeprovisionGuardModels; guard: DeprovisionGuard; staging: DeprovisionStaging };
  /** The SCIM request log (null when SCIM_REQUEST_LOG_DAYS is 0). */
  requestLog: RequestLog | null;
  requestLogModels: RequestLogModels;
  scimBaseUrl: string;
  ensureIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** Principal registry entries outlive a missed forget (Redis unreachable during a delete) by at most this. */
const REGISTRY_TTL_SECONDS = 3600;

/** Wires config, connections and services once, for the API process, the worker process and the tests. */
export async function createContainer(config: Config, opts: { dbName?: string; log?: Logger; monitorCommands?: boolean } = {}): Promise<Container> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, opts.dbName, config.MONGO_POOL_SIZE, { monitorCommands: opts.monitorCommands });
  const backend: StoreBackend = await chooseBackend(mongo, config.MONGO_BACKEND);
  const redis = connectRedis(config.REDIS_URL);
  const store = createStore(backend, { bulkUpdateSize: config.MONGO_BULK_UPDATE_SIZE, redis, prefix: config.QUEUE_PREFIX, log });
  const ids = store.ids;
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const models = directoryModels(mongo);
  const changeDocs = changeModel(mongo);
  const changeSlices = changeSliceModel(mongo);
  const changes = createChangeLog({ changes: changeDocs });
  const rbacM = rbacModels(mongo);
  const accessDocs = accessModel(mongo);
  const auditEvents = auditModel(mongo);
  // The hot path's own connection (auto-pipelined, fails fast): access cache tags and the principal registry.
  const hotRedis = connectRedis(config.REDIS_URL, { forHotPath: true });
  hotRedis.on('error', (err) => log.debug({ err: err.message }, 'redis (access cache) connection error'));
  const lastUsed = createLastUsed(mongo, ids);
  const fresh = createFreshCache({ redis: hotRedis, prefix: config.QUEUE_PREFIX, ttlMs: config.ACCESS_CACHE_MS, maxEntries: config.ACCESS_CACHE_ENTRIES, log });
  const tenancy = createTenancyService({ ...models, fresh, lastUsed });
  const rbac = createRbacStore({ ...rbacM, fresh, lastUsed });
  const guardModels = deprovisionGuardModels(mongo);
  // Users whose deprovisioning is held count as active for every access read and recompute.
  const principals = heldAwarePrincipals(createPrincipalQueries(models), guardModels.holds);
  const audit = createAuditLog({ events: auditEvents, log });
  const eventM = eventModels(mongo);
  const eventsQueue = createEventsQueue({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, log });
  const eventRecorder = createEventRecorder({ drafts: eventM.drafts, notify: eventsQueue.notifySequence });
  const eventLog = createEventLog({ models: eventM, retentionMs: config.EVENT_RETENTION_DAYS * 86_400_000 });
  const webhookMetrics = createWebhookMetrics({ models: eventM });
  const webhooks = createWebhookDeliveries({ models: eventM, queue: eventsQueue, eventLog, audit, config, log, metrics: webhookMetrics, claims: { redis, prefix: config.QUEUE_PREFIX } });
  const sequencer = createSequencer({ models: eventM, ids, redis, prefix: config.QUEUE_PREFIX, settleMs: config.EVENT_SETTLE_MS, fanOut: (evs) => webhooks.fanOut(evs), log });
  // access.changed / access.revoked: drafts recorded before each batch of access documents is stored.
  const accessEvents = createAccessEvents({
    recorder: eventRecorder,
    liveKeysOf: (orgId, userId) => rbacM.apiKeys.countDocuments({ orgId, ownerType: 'user', ownerId: userId, revokedAt: null }),
  });
  const accessRecompute = createAccessRecompute({ access: accessDocs, rbac, principals, fresh, store, onAccessChanged: accessEvents.record });
  const access = createAccessCheck({ access: accessDocs, rbac, principals, fresh, recompute: accessRecompute, log });
  const reconcile = createReconcileService({ recompute: accessRecompute, rbac, audit });
  const pipeline = createPipeline({
    changes: changeDocs,
    slices: changeSlices,
    redisUrl: config.REDIS_URL,
    redis,
    prefix: config.QUEUE_PREFIX,
    sweepGraceMs: config.SWEEP_GRACE_MS,
    log,
    applier: {
      userIdsOfGroups: (_orgId, groupIds) => principals.userIdsOfGroups(groupIds),
      userIdsOfOrg: (orgId) => principals.userIdsOfOrg(orgId),
      groupsGrantAnything: accessRecompute.groupsGrantAnything,
      serviceAccountIdsOfOrg: async (orgId) => (await rbac.listServiceAccounts(orgId)).map((s) => s._id),
      reconcileUser: reconcile.reconcileUser,
      reconcileUsers: reconcile.reconcileUsers,
      reconcileUsersBulk: reconcile.reconcileUsersBulk,
      memberCountOf: principals.memberCountOf,
      reconcileServiceAccount: reconcile.reconcileServiceAccount,
      onApplied: (change, lagMs) => metrics.observeLag(change.kind, lagMs),
    },
  });
  const metrics = createMetrics({ queueDepth: () => pipeline.queue.depth(), cacheReads: () => fresh.counts() });
  webhookMetrics.register(metrics.registry);
  const rbacAdmin = createRbacAdminService({ rbac, principals, changes, pipeline, audit, events: eventRecorder });
  const tracking = createChangeTracking({ changes: changeDocs });
  const registry = createPrincipalRegistry({ redis: hotRedis, prefix: config.QUEUE_PREFIX, ttlSeconds: REGISTRY_TTL_SECONDS, log });
  const guardMetrics = createDeprovisionGuardMetrics({ models: guardModels });
  guardMetrics.register(metrics.registry);
  const guard = createDeprovisionGuard({
    models: guardModels,
    changes: changeDocs,
    redis,
    prefix: config.QUEUE_PREFIX,
    countActive: (directoryId) => models.users.countDocuments({ directoryId, active: true }),
    audit,
    events: eventRecorder,
    notify: pipeline.notify,
    onHeld: guardMetrics.countHeld,
    log,
  });
  const users = createUserService({ ...models, changes, planQuery: store.planQuery, ids, listing: store.listing, log, registry, fresh, revokeAccessNow: access.revokeUserNow, statusChanged: access.userStatusChanged, events: eventRecorder, guard });
  const staging = createDeprovisionStaging({ models: guardModels, changeDocs, changes, users, revokeAccessNow: access.revokeUserNow, statusChanged: access.userStatusChanged, notify: pipeline.notify, audit });
  const groups = createGroupService({ ...models, changes, ids, listing: store.listing, registry, log, events: eventRecorder });

  const requestLogM = requestLogModels(mongo);
  const requestLog = config.SCIM_REQUEST_LOG_DAYS > 0
    ? createRequestLog({ models: requestLogM, retentionDays: config.SCIM_REQUEST_LOG_DAYS, flushMs: config.SCIM_REQUEST_LOG_FLUSH_MS, deleteMatching: ids.deleteMatching, log })
    : null;

  async function ensureIndexes() {
    for (const model of [...Object.values(models), changeDocs, changeSlices, ...Object.values(rbacM), accessDocs, auditEvents, lastUsed.model, ...Object.values(eventM), ...Object.values(guardModels), ...Object.values(requestLogM)] as Array<Model<unknown>>) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
  }

  async function close() {
    await requestLog?.close().catch(() => undefined);
    await pipeline.close().catch(() => undefined);
    await eventsQueue.close().catch(() => undefined);
    redis.disconnect();
    hotRedis.disconnect();
    await mongo.close();
  }

  return {
    config,
    log,
    mongo,
    store,
    redis,
    models,
    changes,
    changeDocs,
    rbacModels: rbacM,
    rbac,
    fresh,
    principals,
    access,
    accessRecompute,
    accessDocs,
    audit,
    pipeline,
    rbacAdmin,
    tracking,
    metrics,
    tenancy,
    users,
    groups,
    registry,
    events: { models: eventM, queue: eventsQueue, recorder: eventRecorder, sequencer, log: eventLog, cleanup: createDeliveryCleanup({ deliveries: eventM.deliveries, ids, retentionMs: config.EVENT_RETENTION_DAYS * 86_400_000 }) },
    webhooks,
    deprovision: { models: guardModels, guard, staging },
    requestLog,
    requestLogModels: requestLogM,
    scimBaseUrl: scimBaseUrl(config),
    ensureIndexes,
    close,
  };
}
