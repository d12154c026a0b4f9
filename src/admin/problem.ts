import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { ZodError } from 'zod';
import { libraryClientError } from '../shared/client-error';
import { Conflict, Forbidden, InvalidFilter, InvalidRequest, NotFound, PreconditionFailed, TooManyRequests, Unauthorized } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { OUTAGE_RETRY_AFTER_SECONDS, outageDetail, storeOutageOf } from '../shared/store-outage';

/** RFC 9457 problem details: the admin API's one error format. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: Array<{ path: string; message: string }>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? STATUS_CODES[status] ?? 'Error', status, ...(detail ? { detail } : {}), ...extra };
}

/** `isSafeMethod`: the request was a GET or HEAD, so a store outage cannot have left part of a write behind. */
export function toProblem(err: unknown, opts: { isSafeMethod?: boolean } = {}): { problem: Problem; headers?: Record<string, string> } {
  if (err instanceof ZodError) {
    return {
      problem: problem(400, 'the request is not valid', {
        type: 'urn:scim-sync:problem:validation',
        errors: err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
      }),
    };
  }
  if (err instanceof NotFound) return { problem: problem(404, err.message) };
  if (err instanceof Conflict) return { problem: problem(409, err.message) };
  if (err instanceof InvalidRequest || err instanceof InvalidFilter) return { problem: problem(400, err.message) };
  if (err instanceof PreconditionFailed) return { problem: problem(412, err.message) };
  if (err instanceof Unauthorized) {
    return { problem: problem(401, err.message || 'an admin key is required'), headers: { 'WWW-Authenticate': 'Bearer realm="admin"' } };
  }
  if (err instanceof Forbidden) return { problem: problem(403, err.message) };
  if (err instanceof TooManyRequests) return { problem: problem(429), headers: { 'Retry-After': String(err.retryAfterSeconds) } };
  const outage = storeOutageOf(err);
  if (outage) {
    return {
      problem: problem(503, outageDetail(outage, { nothingChanged: opts.isSafeMethod })),
      headers: { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) },
    };
  }
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return { problem: problem(400, 'the request body is not valid JSON') };
  if (type === 'entity.too.large') return { problem: problem(413, 'the request body is too large') };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return { problem: problem(415, 'unsupported content encoding or charset') };
  // Any other library error with its own 4xx (the router's URIError for an undecodable path) keeps it.
  const client = libraryClientError(err);
  if (client) return { problem: problem(client.status, client.detail) };
  return { problem: problem(500, 'internal error') };
}

export function problemHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { problem: p, headers } = toProblem(err, { isSafeMethod: req.method === 'GET' || req.method === 'HEAD' });
    if (p.status >= 500) ((req as Request & { log?: Logger }).log ?? log).error({ err }, 'admin request failed');
    if (headers) res.set(headers);
    res.status(p.status).type('application/problem+json').send(JSON.stringify({ ...p, instance: req.originalUrl.split('?')[0] }));
  };
}
