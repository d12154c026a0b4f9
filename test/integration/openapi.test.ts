import request from 'supertest';
import Ajv2020Module from 'ajv/dist/2020';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import type { Router } from 'express';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GROUP_URN, USER_URN, startHarness, type Harness, type TestDirectory } from '../support/harness';

// The admin API's OpenAPI 3.1 document (GET /api/v1/openapi.json) as a contract: it documents every
// route the admin router really has and nothing else, and every documented route, called with a real
// admin key against the real app, answers its documented status with a body its schema accepts.

jest.setTimeout(180_000);

type Json = Record<string, any>;
// ajv and ajv-formats are CommonJS with a default export; the interop differs between loaders.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Module;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule;

let h: Harness;
let dir: TestDirectory;
let secret: string;
let doc: Json;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
const called = new Set<string>();

const METHODS = ['get', 'post', 'patch', 'delete', 'put'] as const;
const toTemplate = (expressPath: string) => expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
/** The documented operation a concrete request is an instance of: `/orgs/o1/projects/p1` -> `/orgs/{org}/projects/{id}`. */
function templateOf(path: string, method: string): string {
  const found = Object.keys(doc.paths)
    .filter((t) => doc.paths[t][method] && new RegExp(`^${t.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))
    // A literal segment beats a parameter (`/bindings/preview` over `/bindings/{id}`).
    .sort((a, b) => (a.match(/\{/g) ?? []).length - (b.match(/\{/g) ?? []).length);
  if (!found.length) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return found[0];
}

function validatorFor(key: string, schema: Json): ValidateFunction {
  let v = validators.get(key);
  if (!v) validators.set(key, (v = ajv.compile(schema)));
  return v;
}

/**
 * Checks one real answer against the document: the documented success status, and a body the
 * documented schema accepts (a 204 has none). Records the operation as called.
 */
function conforms(method: string, path: string, res: request.Response): Json {
  const template = templateOf(path.split('?')[0], method);
  const op = doc.paths[template][method];
  const [status] = Object.keys(op.responses).filter((s) => /^\d+$/.test(s));
  const where = `${method.toUpperCase()} ${template}`;
  if (String(res.status) !== status) throw new Error(`${where}: answered ${res.status}, documented ${status}: ${JSON.stringify(res.body)}`);
  called.add(where);
  const content = op.responses[status].content?.['application/json'];
  if (!content) {
    expect(res.text ?? '').toBe('');
    return {};
  }
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const validate = validatorFor(where, content.schema);
  if (!validate(res.body)) throw new Error(`${where}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 2000)}`);
  return res.body as Json;
}

const auth = (r: request.Test) => r.set('Authorization', `Bearer ${secret}`);
async function call(method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown): Promise<Json> {
  let r = auth(request(h.app)[method](`/api/v1${path}`));
  if (body !== undefined) r = r.send(body as object);
  return conforms(method, path, await r);
}
async function callWithHeaders(method: 'post' | 'patch', path: string, body: unknown) {
  const res = await auth(request(h.app)[method](`/api/v1${path}`)).send(body as object);
  return { body: conforms(method, path, res), changeId: res.headers['x-change-id'] as string | undefined };
}

beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  dir = await h.directory('okta');
  secret = (await h.adminKey(dir.orgId)).secret;
  doc = (await request(h.app).get('/api/v1/openapi.json').expect(200)).body;
});
afterAll(() => h.close());

describe('the OpenAPI document', () => {
  it('is served without credentials and is OpenAPI 3.1 in shape, with compilable 2020-12 schemas', async () => {
    conforms('get', '/openapi.json', await request(h.app).get('/api/v1/openapi.json'));
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(doc.components)).toEqual(expect.arrayContaining(['schemas', 'responses', 'securitySchemes']));
    const problem = ajv.compile(doc.components.schemas.Problem);
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries<Json>(item)) {
        expect(METHODS).toContain(method);
        expect(op).toEqual(expect.objectContaining({ operationId: expect.any(String), summary: expect.any(String), responses: expect.any(Object) }));
        // Every {param} of the path is a documented path parameter, and no other is.
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        expect(op.parameters.filter((p: Json) => p.in === 'path').map((p: Json) => p.name).sort()).toEqual(inPath);
        for (const p of op.parameters) ajv.compile(p.schema);
        if (op.requestBody) ajv.compile(op.requestBody.content['application/json'].schema);
        expect(op.responses['4XX']).toEqual({ $ref: '#/components/responses/Problem' });
        expect(op.responses['5XX']).toEqual({ $ref: '#/components/responses/Problem' });
        for (const [status, r] of Object.entries<Json>(op.responses)) if (r.content) ajv.compile(r.content['application/json'].schema), expect(status).toMatch(/^\d{3}$/);
      }
    }
    // The error format is the one the API sends.
    const denied = await request(h.app).get(`/api/v1/orgs/${dir.orgId}/projects`);
    expect(denied.status).toBe(401);
    expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problem(JSON.parse(denied.text))).toBe(true);
  });

  it('documents exactly the routes the admin router mounts', () => {
    const stack = (h.app as unknown as { router: Router }).router.stack as Array<Json>;
    const real = new Set<string>();
    for (const layer of stack) {
      if (layer.route && String(layer.route.path).startsWith('/api/v1/')) {
        for (const m of Object.keys(layer.route.methods)) real.add(`${m.toUpperCase()} ${toTemplate(String(layer.route.path).slice('/api/v1'.length))}`);
      }
      const inner = layer.handle?.stack as Array<Json> | undefined;
      // The admin router is the mounted router whose routes include /permissions.
      if (inner?.some((l) => l.route?.path === '/permissions')) {
        for (const l of inner) if (l.route) for (const m of Object.keys(l.route.methods)) real.add(`${m.toUpperCase()} ${toTemplate(String(l.route.path))}`);
      }
    }
    const documented = new Set(Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));
    expect(real.size).toBeGreaterThan(60);
    expect([...real].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((d) => !real.has(d)).sort()).toEqual([]);
  });

  it('matches the real answer of every documented route, called with a real admin key', async () => {
    const org = `/orgs/${dir.orgId}`;
    const d = `${org}/directories/${dir.directoryId}`;
    const scim = h.as(dir);
    const userIds: string[] = [];
    for (const name of ['ada@example.com', 'grace@example.com']) {
      const res = await scim.post('/Users', { schemas: [USER_URN], userName: name, name: { givenName: name.split('@')[0] }, emails: [{ value: name, primary: true }] });
      expect(res.status).toBe(201);
      userIds.push(res.body.id);
    }
    const grp = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Engineering', members: userIds.map((value) => ({ value })) });
    expect(grp.status).toBe(201);
    const groupId = grp.body.id as string;

    // Catalog and organization.
    const { permissions } = await call('get', '/permissions');
    await call('get', '/preset-roles');
    await call('get', org);
    const eligible = (permissions as Json[]).find((p) => p.customRoleEligible && p.level === 'organization')!.id as string;

    // Projects (a write that changes access answers X-Change-Id, documented as a header).
    const created = await callWithHeaders('post', `${org}/projects`, { name: 'Payments' });
    const projectId = created.body.id as string;
    await call('get', `${org}/projects?includeArchived=true`);
    await call('get', `${org}/projects/${projectId}`);
    await call('patch', `${org}/projects/${projectId}`, { name: 'Payments EU' });

    // Policies, roles, bindings, the binding preview.
    const policy = await call('post', `${org}/policies`, { name: 'Readers', description: 'read things', permissions: [eligible] });
    await call('get', `${org}/policies`);
    await call('get', `${org}/policies/${policy.id}`);
    await call('patch', `${org}/policies/${policy.id}`, { description: 'read more things' });
    const role = await call('post', `${org}/roles`, { name: 'Auditor', permissions: [eligible] });
    await call('get', `${org}/roles`);
    await call('get', `${org}/roles/${role.id}`);
    await call('get', `${org}/roles/preset:org-reader`);
    await call('patch', `${org}/roles/${role.id}`, { description: 'audits' });
    const binding = await callWithHeaders('post', `${org}/bindings`, { principal: { type: 'group', id: groupId }, scope: { type: 'organization' }, roleId: role.id });
    expect(binding.changeId).toEqual(expect.any(String));
    await call('get', `${org}/bindings?principalType=group`);
    await call('get', `${org}/bindings/${binding.body.id}`);
    await call('post', `${org}/bindings/preview`, { principal: { type: 'user', userName: 'ada@example.com' }, scope: { type: 'project', projectId }, roleId: 'preset:project-viewer' });

    // Service accounts and project API keys (the secret is in the creation answer only).
    const sa = await call('post', `${org}/projects/${projectId}/service-accounts`, { name: 'ci' });
    await call('get', `${org}/projects/${projectId}/service-accounts`);
    const key = await call('post', `${org}/api-keys`, { projectId, name: 'deploy', owner: { type: 'serviceAccount', id: sa.id }, permissions: 'all' });
    expect(key.secret).toEqual(expect.any(String));
    const listed = await call('get', `${org}/api-keys?projectId=${projectId}`);
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    await call('get', `${org}/api-keys/${key.id}`);

    // Propagation and access checks (no worker runs here: the change may still be pending).
    await call('get', `/changes/${binding.changeId}?wait=0`);
    await call('post', `/changes/${binding.changeId}/retry`);
    await call('get', `${org}/propagation`);
    await call('get', `${org}/propagation/lag?minutes=5`);
    await call('get', `${org}/deprovisioning?limit=10`);
    await call('post', '/access/check', { subject: { userId: userIds[0] }, permission: eligible });
    await call('post', '/access/check-batch', { checks: [{ subject: { userName: 'grace@example.com' }, permission: eligible }, { subject: { apiKeyId: key.id }, permission: eligible, projectId }] });
    await call('get', `${org}/users/${userIds[0]}/permissions`);
    await call('get', `${org}/service-accounts/${sa.id}/permissions?projectId=${projectId}`);
    await call('get', `${org}/audit?limit=5`);

    // Directories and their SCIM tokens.
    const other = await call('post', `${org}/directories`, { name: 'Entra', provider: 'entra' });
    await call('get', `${org}/directories`);
    const token = await call('post', `${org}/directories/${other.id}/tokens`);
    await call('get', `${org}/directories/${other.id}/tokens`);
    await call('delete', `${org}/directories/${other.id}/tokens/${token.tokenId}`);

    // What the console browses.
    await call('get', `${d}/users?search=ada`);
    await call('get', `${d}/users/${userIds[0]}`);
    await call('get', `${d}/groups`);
    await call('get', `${d}/groups/${groupId}`);
    await call('get', `${d}/groups/${groupId}/members?count=1`);
    await call('get', `${d}/deprovision-guard`);
    await call('patch', `${d}/deprovision-guard`, { percent: 50 });
    await call('get', `${org}/staged`);
    await call('get', `${d}/staged`);
    await call('post', `${d}/staged/approve`, {});
    await call('post', `${d}/staged/discard`, { userIds: [userIds[1]] });
    await h.c.requestLog!.flush();
    const log = await call('get', `${d}/requests?limit=5`);
    expect(log.requests.length).toBeGreaterThan(0);
    await call('get', `${d}/requests/${log.requests[0].requestId}`);
    await call('get', `${org}/request-summaries`);

    // Webhooks and the events API.
    const hook = await call('post', `${org}/webhooks`, { url: 'http://127.0.0.1:9/unreachable', description: 'contract test' });
    expect(hook.secret).toEqual(expect.any(String));
    await call('get', `${org}/webhooks`);
    await call('get', `${org}/webhooks/${hook.id}`);
    await call('patch', `${org}/webhooks/${hook.id}`, { status: 'paused' });
    await call('post', `${org}/webhooks/${hook.id}/rotate-secret`, { overlapSeconds: 60 });
    const sent = await call('post', `${org}/webhooks/${hook.id}/test`);
    await h.c.events.sequencer.run(dir.orgId);
    const events = await call('get', `${org}/events?types=webhook.test&limit=10`);
    expect(events.events.map((e: Json) => e.id)).toContain(sent.eventId);
    await call('get', `${org}/events/${sent.eventId}`);
    const deliveries = await call('get', `${org}/webhooks/${hook.id}/deliveries`);
    expect(deliveries.deliveries.length).toBeGreaterThan(0);
    await call('post', `${org}/webhooks/${hook.id}/deliveries/${deliveries.deliveries[0].id}/redeliver`);
    await call('post', `${org}/webhooks/${hook.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString() });

    // The console session: signing in needs no credentials but the key; reading and ending it, only the cookie.
    const signIn = await request(h.app).post('/api/v1/session').send({ adminKey: secret });
    const session = conforms('post', '/session', signIn);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    conforms('get', '/session', await request(h.app).get('/api/v1/session').set('Cookie', cookie));
    conforms('delete', '/session', await request(h.app).delete('/api/v1/session').set('Cookie', cookie).set('X-CSRF-Token', session.csrfToken));

    // Deletions last, in dependency order.
    await call('delete', `${org}/webhooks/${hook.id}`);
    await call('post', `${org}/api-keys/${key.id}/revoke`);
    await call('delete', `${org}/bindings/${binding.body.id}`);
    await call('delete', `${org}/service-accounts/${sa.id}`);
    await call('delete', `${org}/roles/${role.id}`);
    await call('delete', `${org}/policies/${policy.id}`);

    const documented = Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((op) => !called.has(op)).sort()).toEqual([]);
  });

  it('documents the problem answers: a bad body is a 400 problem with per-field errors', async () => {
    const res = await auth(request(h.app).post(`/api/v1/orgs/${dir.orgId}/projects`)).send({ nmae: 'typo' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const validate = ajv.compile(doc.components.schemas.Problem);
    const body = JSON.parse(res.text);
    expect(validate(body)).toBe(true);
    expect(body.errors.length).toBeGreaterThan(0);
  });

  it("is what the console's generated types were made from (npm run openapi:types after changing it)", async () => {
    // A child process: openapi-typescript is ESM-only, which this CommonJS jest setup cannot load.
    const root = join(__dirname, '..', '..');
    await expect(promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/openapi-types.ts', '--check'], { cwd: root })).resolves.toBeDefined();
  });
});
