import { z } from 'zod';
import { CSRF_HEADER, SESSION_COOKIE } from '../session-auth';
import { accessRoutes } from './access.paths';
import { consoleRoutes } from './console.paths';
import { coreRoutes } from './core.paths';
import { eventsRoutes } from './events.paths';
import { fromZod, open, openApiPath, pathParamsOf, problemSchema, str, type JsonSchema, type RouteDoc } from './schema-kit';

// The admin API's OpenAPI 3.1 document, assembled from the route tables beside this file. One table
// entry per route the admin router mounts; test/integration/openapi.test.ts checks both directions.

/** Every documented admin route, including this document's own. */
export const ADMIN_ROUTES: readonly RouteDoc[] = [
  {
    tag: 'Discovery', method: 'get', path: '/openapi.json', summary: 'This document', permission: null, auth: 'none', status: 200,
    response: open({ openapi: str, info: open({ title: str, version: str }), paths: open({}), components: open({}) }),
  },
  ...coreRoutes,
  ...accessRoutes,
  ...consoleRoutes,
  ...eventsRoutes,
];

const isZod = (b: RouteDoc['body']): b is z.ZodType => b instanceof z.ZodType;

function queryParameters(query: z.ZodType | undefined, notes: Record<string, string> = {}) {
  if (!query) return [];
  const schema = fromZod(query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: (schema.required ?? []).includes(name),
    schema: s,
    ...(notes[name] ? { description: notes[name] } : {}),
  }));
}

function operation(r: RouteDoc) {
  const auth = r.auth ?? 'key';
  const success = r.response
    ? { description: 'Success', content: { 'application/json': { schema: r.response } } }
    : { description: 'Done; no body' };
  return {
    operationId: `${r.method}${openApiPath(r.path).replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`,
    summary: r.summary,
    tags: [r.tag],
    // The router's own authorization, so a reader sees what a key needs without reading the code.
    ...(r.permission ? { 'x-permission': r.permission } : {}),
    security: auth === 'none' ? [] : auth === 'session' ? [{ consoleSession: [] }] : [{ adminKey: [] }, { consoleSession: [] }],
    parameters: [
      ...pathParamsOf(r.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } })),
      ...queryParameters(r.query, r.queryNotes),
    ],
    // A body whose every field is optional may be left out (the routes read a missing body as {}).
    ...(r.body ? { requestBody: { required: !isZod(r.body) || !r.body.safeParse({}).success, content: { 'application/json': { schema: isZod(r.body) ? fromZod(r.body) : r.body } } } } : {}),
    responses: {
      [String(r.status)]: r.changeIdHeader
        ? { ...success, headers: { 'X-Change-Id': { description: 'The change to wait on (GET /changes/{id}?wait=) before checking access', schema: { type: 'string' } } } }
        : success,
      '4XX': { $ref: '#/components/responses/Problem' },
      '5XX': { $ref: '#/components/responses/Problem' },
    },
  };
}

function build() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ADMIN_ROUTES) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'scim-sync admin API',
      version: '1',
      description: 'Organizations, projects, roles, bindings, keys, directories, access checks, propagation, events and webhooks. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/api/v1' }],
    tags: [...new Set(ADMIN_ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'An admin key of the organization' },
        consoleSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: `A console session (POST /session); writes also need the ${CSRF_HEADER} header` },
      },
      schemas: { Problem: problemSchema },
      responses: {
        Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  };
}

let cached: ReturnType<typeof build> | null = null;

/** Built once on first use: it is data, the same for every request and every organization. */
export function openApiDocument() {
  return (cached ??= build());
}
