import { z } from 'zod';

// The small vocabulary the OpenAPI route tables are written in: JSON Schema 2020-12 builders for
// responses (hand-written: responses are presenters, not zod schemas) and the route entry type.

export type JsonSchema = Record<string, unknown>;

export interface RouteDoc {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style, relative to /api/v1: `/orgs/:org/projects/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** The permission the key's role must hold; null: any key of the organization. */
  permission: string | null;
  /** 'none': no credentials (sign-in, this document); 'session': only a console session cookie. */
  auth?: 'key' | 'none' | 'session';
  /** The route's strict query schema (each property becomes a query parameter). */
  query?: z.ZodType;
  /** What a query parameter means where its schema cannot say it (a comma list, an opaque cursor). */
  queryNotes?: Record<string, string>;
  body?: z.ZodType | JsonSchema;
  /** The success status and its JSON body; no `response` means an empty body (204). */
  status: number;
  response?: JsonSchema;
  /** Sent with the success response (X-Change-Id on writes that change access). */
  changeIdHeader?: boolean;
}

export const str: JsonSchema = { type: 'string' };
export const int: JsonSchema = { type: 'integer' };
export const num: JsonSchema = { type: 'number' };
export const bool: JsonSchema = { type: 'boolean' };
export const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
export const strings: JsonSchema = { type: 'array', items: str };
/** Free-form JSON: attributes as the IdP sent them, event data, audit summaries. */
export const anyJson: JsonSchema = {};

export const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
export const enumOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });

/**
 * An object whose keys are all present unless named in `optional`. Closed (no other keys): a
 * presenter that starts showing a new field must say so here, which the contract test enforces.
 */
export function obj(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)), additionalProperties: false };
}

/** An object with these keys at least: for service results whose inner shape is the service's own. */
export function open(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

/** RFC 9457 problem details, as src/admin/problem.ts writes them. */
export const problemSchema: JsonSchema = {
  type: 'object',
  properties: {
    type: str,
    title: str,
    status: int,
    detail: str,
    instance: str,
    errors: arrayOf(obj({ path: str, message: str })),
  },
  required: ['type', 'title', 'status'],
};

/** The request shape a zod schema accepts, as JSON Schema 2020-12 (defaults shown, transforms as their input). */
export function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** `/orgs/:org/projects/:id` -> `/orgs/{org}/projects/{id}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
export const pathParamsOf = (expressPath: string) => [...expressPath.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
