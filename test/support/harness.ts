import request from 'supertest';
import type { Express } from 'express';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { createContainer, type Container } from '../../src/container';
import { buildApp } from '../../src/app';
import { startWorkers } from '../../workers/run';
import type { Provider } from '../../src/directory/models';

export const SCIM = 'application/scim+json';
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface TestDirectory {
  orgId: string;
  directoryId: string;
  token: string;
  provider: Provider;
}

export interface Harness {
  c: Container;
  app: Express;
  config: Config;
  /** A directory (and its org) with a fresh token. */
  directory(provider?: Provider, orgSlug?: string): Promise<TestDirectory>;
  /** supertest bound to the app with the directory's bearer token. */
  as(dir: TestDirectory): ScimClient;
  /** An admin key of the organization (org owner unless another role is given), and a client for /api/v1 with it. */
  adminKey(orgId: string, roleId?: string): Promise<{ secret: string; keyId: string; api: AdminClient }>;
  /** Starts in-process propagation workers (and the sweeper) for this harness; stopped by close(). */
  startWorkers(opts?: { sweepIntervalMs?: number }): Promise<void>;
  /** A second instance of the service (own process state and caches) on the same MongoDB and Redis. */
  peer(env?: Record<string, string>): Promise<Peer>;
  close(): Promise<void>;
}

export interface Peer {
  c: Container;
  app: Express;
  admin(secret: string): AdminClient;
  as(dir: TestDirectory): ScimClient;
  close(): Promise<void>;
}

export type ScimClient = ReturnType<typeof clientFor>;
export type AdminClient = ReturnType<typeof adminClientFor>;

function adminClientFor(app: Express, secret: string) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${secret}`);
  return {
    get: (path: string) => auth(request(app).get(`/api/v1${path}`)),
    delete: (path: string) => auth(request(app).delete(`/api/v1${path}`)),
    post: (path: string, body?: unknown) => auth(request(app).post(`/api/v1${path}`)).send(body as object),
    patch: (path: string, body?: unknown) => auth(request(app).patch(`/api/v1${path}`)).send(body as object),
  };
}

function clientFor(app: Express, token: string) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${token}`);
  return {
    get: (path: string) => auth(request(app).get(`/scim/v2${path}`)),
    delete: (path: string) => auth(request(app).delete(`/scim/v2${path}`)),
    post: (path: string, body?: unknown) => auth(request(app).post(`/scim/v2${path}`)).set('Content-Type', SCIM).send(body as object),
    put: (path: string, body?: unknown) => auth(request(app).put(`/scim/v2${path}`)).set('Content-Type', SCIM).send(body as object),
    patch: (path: string, body?: unknown) => auth(request(app).patch(`/scim/v2${path}`)).set('Content-Type', SCIM).send(body as object),
    /** Sends raw text, for malformed-JSON tests. */
    raw: (method: 'post' | 'put' | 'patch', path: string, text: string, type = SCIM) =>
      auth(request(app)[method](`/scim/v2${path}`)).set('Content-Type', type).send(text),
  };
}

/**
 * Each test file gets its own database on the real MongoDB-wire server (FerretDB or MongoDB, per
 * MONGO_URL) and drops it afterwards, so files run in parallel without seeing each other.
 */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    SCIM_RATE_LIMIT_PER_SECOND: '0',
    QUEUE_PREFIX: dbName,
    ...env,
  });
  const c = await createContainer(config, { dbName });
  await c.ensureIndexes();
  const app = buildApp(c) as unknown as Express;
  const peers: Peer[] = [];
  let n = 0;
  let stopWorkers: (() => Promise<void>) | undefined;
  return {
    c,
    app,
    config,
    async directory(provider: Provider = 'generic', orgSlug?: string) {
      n += 1;
      const { org } = await c.tenancy.ensureOrganization(orgSlug ?? `org-${n}-${randomBytes(3).toString('hex')}`);
      const { directory, token } = await c.tenancy.createDirectory({ orgId: org._id, name: `dir-${n}`, provider });
      return { orgId: org._id, directoryId: directory._id, token: token.token, provider };
    },
    as: (dir) => clientFor(app, dir.token),
    async adminKey(orgId: string, roleId = 'preset:org-owner') {
      const { key, secret } = await c.rbac.createAdminKey(orgId, `test-${roleId}`, roleId);
      return { secret, keyId: key._id, api: adminClientFor(app, secret) };
    },
    async startWorkers(opts = {}) {
      stopWorkers = startWorkers(c, { sweepIntervalMs: opts.sweepIntervalMs });
    },
    async peer(peerEnv = {}) {
      const pc = await createContainer(loadConfig({ ...process.env, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])), ...peerEnv }), { dbName });
      const papp = buildApp(pc) as unknown as Express;
      const peer: Peer = { c: pc, app: papp, admin: (secret) => adminClientFor(papp, secret), as: (dir) => clientFor(papp, dir.token), close: () => within(10_000, pc.close()) };
      peers.push(peer);
      return peer;
    },
    async close() {
      for (const p of peers) await p.close();
      // Bounded: a teardown that waits on a stuck backend must fail this file, not hang the run.
      await within(30_000, stopWorkers?.());
      await within(30_000, c.mongo.db!.dropDatabase());
      await within(10_000, c.close());
    },
  };
}

async function within(ms: number, work: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`harness: teardown step still running after ${ms} ms, going on\n`);
      resolve();
    }, ms);
  });
  await Promise.race([Promise.resolve(work).catch(() => undefined), timeout]);
  clearTimeout(timer);
}

export function scimErrorBody(status: number, scimType?: string) {
  return {
    schemas: [ERROR_URN],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail: expect.any(String),
  };
}

export function newUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_URN],
    userName,
    name: { givenName: 'Test', familyName: 'User' },
    emails: [{ value: userName.includes('@') ? userName : `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}
