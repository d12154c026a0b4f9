import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { Conflict, Forbidden, InvalidFilter, InvalidRequest, NotFound, PreconditionFailed, ServiceUnavailable, TooManyRequests, Unauthorized } from '../shared/errors';
import { isConnectionError } from '../shared/mongo';
import type { Logger } from '../shared/logger';

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
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, ...(detail ? { detail } : {}), ...extra };
}

export function toProblem(err: unknown): { problem: Problem; headers?: Record<string, string> } {
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
  if (err instanceof ServiceUnavailable || isConnectionError(err)) {
    return { problem: problem(503, 'a backing store is unavailable; retry later'), headers: { 'Retry-After': '5' } };
  }
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return { problem: problem(400, 'the request body is not valid JSON') };
  if (e?.type === 'entity.too.large' || e?.status === 413) return { problem: problem(413, 'the request body is too large') };
  return { problem: problem(500, 'internal error') };
}

export function problemHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { problem: p, headers } = toProblem(err);
    if (p.status >= 500) ((req as Request & { log?: Logger }).log ?? log).error({ err }, 'admin request failed');
    if (headers) res.set(headers);
    res.status(p.status).type('application/problem+json').send(JSON.stringify({ ...p, instance: req.originalUrl.split('?')[0] }));
  };
}
