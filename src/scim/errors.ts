import { libraryClientError } from '../shared/client-error';
import { Conflict, Forbidden, InvalidFilter, InvalidRequest, NotFound, PreconditionFailed, TooManyRequests, Unauthorized } from '../shared/errors';
import { OUTAGE_RETRY_AFTER_SECONDS, outageDetail, storeOutageOf } from '../shared/store-outage';

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
  // RFC 7644 section 3.12 lists 503 for a service that cannot answer now; the words say what is known of the write.
  const outage = storeOutageOf(err);
  if (outage) {
    return scimError(503, outageDetail(outage), undefined, { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) });
  }
  // body-parser's own errors carry a 4xx status and a `type`; the common ones get SCIM's words.
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return scimError(413, 'the request body is larger than maxPayloadSize (see /ServiceProviderConfig)');
  if (type === 'entity.parse.failed') return scimError(400, 'the request body is not valid JSON', 'invalidSyntax');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return scimError(415, 'unsupported content encoding or charset');
  const client = libraryClientError(err);
  if (client) return scimError(client.status, client.detail, client.status === 400 ? 'invalidSyntax' : undefined);
  return null;
}
