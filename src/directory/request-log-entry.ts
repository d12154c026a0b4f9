// What one SCIM request becomes in the request log: bodies masked and capped, the failure put in words.
// Pure functions: the log's flush runs them off the request's path, and unit tests run them without I/O.

/** Each stored body is cut at this many characters, and says so, so one 10 MB Bulk cannot fill the log. */
export const BODY_CAP_CHARS = 16 * 1024;

/** Responses longer than this are masked on their text instead of parsed (a 1,000-user list page). */
const PARSE_LIMIT_CHARS = 256 * 1024;

export const MASK = '********';

/** A password, or any field whose name says it holds a token or a secret, in any letter case. */
export const isSecretField = (name: string): boolean => /password|token|secret/i.test(name);

export interface StoredBody {
  /** The JSON text, masked; null when the request or response had no body. */
  text: string | null;
  /** Length of the whole body before the cap, in characters. */
  chars: number;
  isTruncated: boolean;
}

/** Replaces every secret field's value, at any depth, so neither its value nor its length is kept. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretField(k) && v !== null && v !== undefined ? MASK : maskSecrets(v, depth + 1);
  }
  // A PATCH operation can name the secret in its path: `{"op":"replace","path":"password","value":"…"}`.
  if (typeof out.path === 'string' && isSecretField(out.path) && 'value' in out && out.value !== null) out.value = MASK;
  return out;
}

// `"…password…": "value"` or a scalar value, for text too long to parse; a nested object under a
// secret name is cut by the cap long before this matters (SCIM never sends one).
const SECRET_IN_TEXT = /("[^"\\]*(?:password|token|secret)[^"\\]*"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false)/gi;

export const maskSecretsInText = (text: string): string => text.replace(SECRET_IN_TEXT, `$1"${MASK}"`);

function capped(text: string): StoredBody {
  if (text.length <= BODY_CAP_CHARS) return { text, chars: text.length, isTruncated: false };
  return { text: text.slice(0, BODY_CAP_CHARS), chars: text.length, isTruncated: true };
}

/** A request body as parsed by the SCIM router (an object, or nothing). */
export function storedRequestBody(body: unknown): StoredBody {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body as object).length === 0 && !Array.isArray(body))) {
    return { text: null, chars: 0, isTruncated: false };
  }
  return capped(JSON.stringify(maskSecrets(body)));
}

/**
 * A response body as the router sent it (JSON text, or its beginning when `chars`, the whole length, is
 * more), masked on the parsed value when it is whole and small enough.
 */
export function storedResponseBody(text: string | null, chars = text?.length ?? 0): StoredBody {
  if (!text) return { text: null, chars: 0, isTruncated: false };
  if (text.length <= PARSE_LIMIT_CHARS && chars === text.length) {
    try {
      const masked = JSON.stringify(maskSecrets(JSON.parse(text)));
      return { ...capped(masked), chars: text.length };
    } catch {
      // Not JSON (should not happen on /scim/v2): fall through to the text mask.
    }
  }
  return { text: maskSecretsInText(text.slice(0, BODY_CAP_CHARS * 2)).slice(0, BODY_CAP_CHARS), chars, isTruncated: chars > BODY_CAP_CHARS };
}

export interface RequestFailure {
  detail: string | null;
  scimType: string | null;
  /** What went wrong, in words an identity admin can act on. */
  reason: string;
}

const REASON_BY_SCIM_TYPE: Record<string, string> = {
  uniqueness: 'A user or group with the same unique value (userName, externalId or displayName) already exists in this directory.',
  invalidFilter: 'The IdP sent a filter this service cannot read or that names an unknown attribute.',
  invalidSyntax: 'The request body is not valid SCIM: a required attribute is missing or a value has the wrong shape.',
  invalidPath: 'A PATCH operation names a path that does not exist on this resource.',
  noTarget: 'A PATCH operation names a value that does not match anything on this resource.',
  invalidValue: 'A value is not allowed for its attribute (for example a wrong type or an unknown member id).',
  mutability: 'The IdP tried to change a read-only attribute (such as id or meta).',
  tooMany: 'The request asks for more results or operations than this service allows at once.',
  sensitive: 'The request put sensitive data where it is not allowed (for example in the URL).',
  invalidVers: 'The ETag in If-Match does not match the current version: the resource changed in between.',
};

const REASON_BY_STATUS: Record<number, string> = {
  400: 'The request is not valid SCIM.',
  401: 'The directory token was not accepted.',
  403: 'The directory token may not do this.',
  404: 'The user or group does not exist in this directory (deleted, or created in another directory).',
  405: 'This method is not allowed on this endpoint.',
  409: 'The request conflicts with existing data in this directory.',
  412: 'The resource changed since the IdP read it (If-Match did not match).',
  413: 'The request body is larger than this service accepts.',
  415: 'The request was not sent as JSON.',
  429: 'The IdP sent requests faster than this directory’s rate limit; it should retry after a pause.',
  501: 'The IdP called a SCIM feature this service does not implement.',
  503: 'The service could not reach its database or Redis; the IdP should retry.',
};

/** The failure of a request answered with `status` (>= 400), from the SCIM error body it was sent. */
export function failureOf(status: number, responseText: string | null): RequestFailure | null {
  if (status < 400) return null;
  let detail: string | null = null;
  let scimType: string | null = null;
  if (responseText && responseText.length <= PARSE_LIMIT_CHARS) {
    try {
      const body = JSON.parse(responseText) as { detail?: unknown; scimType?: unknown };
      if (typeof body.detail === 'string') detail = body.detail;
      if (typeof body.scimType === 'string') scimType = body.scimType;
    } catch {
      // A non-JSON error body carries no detail; the status still gives the reason.
    }
  }
  const reason =
    (scimType && REASON_BY_SCIM_TYPE[scimType]) ??
    REASON_BY_STATUS[status] ??
    (status >= 500 ? 'The service failed while handling the request; its log has the details under this request id.' : `The request was refused with status ${status}.`);
  return { detail, scimType, reason };
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export const statusClassOf = (status: number): StatusClass => `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as StatusClass;

/** The resource a SCIM path addresses (`/Users/abc` -> `Users`), as the log's filter names it. */
export function resourceOf(path: string): string {
  const first = path.split('?')[0].split('/').filter(Boolean)[0] ?? '';
  const known = ['Users', 'Groups', 'Bulk', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig', 'Me', '.search'];
  const match = known.find((k) => k.toLowerCase() === first.toLowerCase());
  return match ?? (first ? 'other' : 'root');
}
