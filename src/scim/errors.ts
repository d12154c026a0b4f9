import { Conflict, Forbidden, InvalidFilter, InvalidRequest, NotFound, PreconditionFailed, ServiceUnavailable, TooManyRequests, Unauthorized } from '../shared/errors';
import { isConnectionError } from '../shared/mongo';

export const SCIM_ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_URN];
  status: string;
  scimType?: string;
  detail?: string;
}

export interface ScimErrorResponse {
  status: number;
  body: ScimErrorBody;
  headers?: Record<string, string>;
}

export function scimError(status: number, detail: string, scimType?: string, headers?: Record<string, string>): ScimErrorResponse {
  return {
    status,
    body: { schemas: [SCIM_ERROR_URN], status: String(status), ...(scimType ? { scimType } : {}), detail },
    headers,
  };
}

/** The only place that knows SCIM's error body (RFC 7644 section 3.12). */
export function toScimError(err: unknown): ScimErrorResponse | null {
  if (err instanceof NotFound) return scimError(404, err.message);
  if (err instanceof Conflict) return scimError(409, err.message, 'uniqueness');
  if (err instanceof InvalidFilter) return scimError(400, err.message, 'invalidFilter');
  if (err instanceof InvalidRequest) return scimError(400, err.message, err.scimType);
  if (err instanceof PreconditionFailed) {
    return scimError(412, `If-Match does not match the current version ${err.currentVersion}`, undefined, {
      ETag: err.currentVersion,
    });
  }
  if (err instanceof Unauthorized) {
    return scimError(401, err.message || 'a valid bearer token is required', undefined, {
      'WWW-Authenticate': 'Bearer realm="scim"',
    });
  }
  if (err instanceof Forbidden) return scimError(403, err.message);
  if (err instanceof TooManyRequests) {
    return scimError(429, 'too many requests for this directory; retry later', undefined, {
      'Retry-After': String(err.retryAfterSeconds),
    });
  }
  if (err instanceof ServiceUnavailable || isConnectionError(err)) {
    return scimError(503, 'the directory store is unavailable; nothing was changed, retry later', undefined, {
      'Retry-After': '5',
    });
  }
  const httpErr = err as { status?: number; statusCode?: number; type?: string; expose?: boolean } | undefined;
  const status = httpErr?.status ?? httpErr?.statusCode;
  if (httpErr?.type === 'entity.too.large' || status === 413) {
    return scimError(413, 'the request body is larger than maxPayloadSize (see /ServiceProviderConfig)');
  }
  if (httpErr?.type === 'entity.parse.failed') return scimError(400, 'the request body is not valid JSON', 'invalidSyntax');
  if (httpErr?.type === 'encoding.unsupported' || httpErr?.type === 'charset.unsupported') {
    return scimError(415, 'unsupported content encoding or charset');
  }
  if (typeof status === 'number' && status >= 400 && status < 500 && httpErr?.expose) {
    return scimError(status, (err as Error).message);
  }
  return null;
}
