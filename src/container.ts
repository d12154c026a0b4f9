import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { type Config, scimBaseUrl } from './config';
import { createLogger, type Logger } from './shared/logger';
import { connectMongo } from './shared/mongo';
import { connectRedis } from './shared/redis';
import { createIdLookup, detectBackend, type MongoBackend } from './shared/id-lookup';
import { directoryModels, type DirectoryModels } from './directory/models';
import { createTenancyService, type TenancyService } from './directory/tenancy.service';
import { createUserService, type UserService } from './directory/user.service';
import { createGroupService, type GroupService } from './directory/group.service';
import { changeModel } from './propagation/change.model';
import { createChangeLog, type ChangeLog } from './propagation/change-log';

export interface Container {
  config: Config;
  log: Logger;
  mongo: Connection;
  mongoBackend: MongoBackend;
  redis: Redis;
  models: DirectoryModels;
  changes: ChangeLog;
  tenancy: TenancyService;
  users: UserService;
  groups: GroupService;
  scimBaseUrl: string;
  ensureIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** Wires config, connections and services once, for the API process, the worker process and the tests. */
export async function createContainer(config: Config, opts: { dbName?: string; log?: Logger } = {}): Promise<Container> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, opts.dbName);
  const mongoBackend = await detectBackend(mongo);
  const ids = createIdLookup(mongoBackend);
  const redis = connectRedis(config.REDIS_URL);
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error'));
  const models = directoryModels(mongo);
  const changeDocs = changeModel(mongo);
  const changes = createChangeLog({ changes: changeDocs });
  const tenancy = createTenancyService({ ...models, tokenCacheMs: config.TOKEN_CACHE_MS });
  const users = createUserService({ ...models, changes, log });
  const groups = createGroupService({ ...models, changes, ids, log });

  async function ensureIndexes() {
    for (const model of [...Object.values(models), changeDocs]) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
  }

  async function close() {
    redis.disconnect();
    await mongo.close();
  }

  return {
    config,
    log,
    mongo,
    mongoBackend,
    redis,
    models,
    changes,
    tenancy,
    users,
    groups,
    scimBaseUrl: scimBaseUrl(config),
    ensureIndexes,
    close,
  };
}
