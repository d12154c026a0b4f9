import { anyJson, arrayOf, bool, dateTime, enumOf, int, nullable, num, obj, open, str, strings, type JsonSchema } from './schema-kit';

// The response shapes of the admin API, one per presenter (src/admin/present.ts, event-inputs.ts and
// the route modules' own present* functions). Closed where we present the document ourselves; open
// where the body is a service's result whose inner shape that service owns.

export const scope: JsonSchema = {
  oneOf: [obj({ type: { const: 'organization' } }), obj({ type: { const: 'project' }, projectId: str })],
};

export const permission = obj({ id: str, area: str, action: str, level: enumOf('organization', 'project'), customRoleEligible: bool, description: str });
export const organization = obj({ id: str, slug: str, name: str, createdAt: dateTime });
export const project = obj({ id: str, name: str, archived: bool, archivedAt: nullable(dateTime), createdAt: dateTime });
export const policy = obj({ id: str, name: str, description: str, permissions: strings, createdAt: dateTime, updatedAt: dateTime }, ['description', 'updatedAt']);

export const customRole = obj(
  { id: str, name: str, description: str, scope, permissions: strings, policyIds: strings, preset: { const: false }, version: int, createdAt: dateTime, updatedAt: dateTime },
  ['description', 'version', 'updatedAt'],
);
export const presetRole = obj({ id: str, name: str, scope: enumOf('organization', 'project'), description: str, permissions: strings, preset: { const: true } });
export const presetRoleEntry = obj({ id: str, name: str, scope: enumOf('organization', 'project'), description: str, permissions: strings });
export const role: JsonSchema = { oneOf: [customRole, presetRole] };

export const binding = obj({
  id: str,
  principal: obj({ type: enumOf('user', 'group', 'serviceAccount'), id: str, display: str }, ['display']),
  scope,
  roleId: str,
  createdAt: dateTime,
});

export const serviceAccount = obj({ id: str, projectId: str, name: str, active: bool, createdAt: dateTime });

const apiKeyProps = {
  id: str,
  name: str,
  projectId: str,
  owner: obj({ type: enumOf('user', 'serviceAccount'), id: str }),
  permissions: { anyOf: [{ const: 'all' }, strings] },
  /** The last characters of the secret, to tell keys apart; the secret itself is shown only at creation. */
  hint: str,
  createdAt: dateTime,
  revoked: bool,
  revokedAt: nullable(dateTime),
  revokedReason: nullable(str),
  lastUsedAt: nullable(dateTime),
};
export const apiKey = obj(apiKeyProps);
export const apiKeyCreated = obj({ ...apiKeyProps, secret: str });

const directoryProps = { id: str, name: str, provider: enumOf('okta', 'entra', 'generic'), scimBaseUrl: str, createdAt: dateTime };
export const directory = obj(directoryProps);
export const directoryCreated = obj({ ...directoryProps, token: str, tokenId: str });
export const tokenIssued = obj({ tokenId: str, token: str });
export const tokenEntry = obj({ id: str, hint: str, createdAt: dateTime, revokedAt: nullable(dateTime), lastUsedAt: nullable(dateTime) });

const subjectRef = obj({ type: enumOf('user', 'serviceAccount', 'apiKey'), id: str });
export const checkResult = open({ allowed: bool, reason: str, grants: arrayOf(anyJson), subject: subjectRef, stateVersion: nullable(int), changeId: nullable(str) });
export const effectiveAccess = open({
  subject: subjectRef,
  isActive: bool,
  stateVersion: nullable(int),
  changeId: nullable(str),
  computedAt: anyJson,
  organization: arrayOf(anyJson),
  projects: arrayOf(open({ projectId: str, permissions: arrayOf(anyJson) })),
});

export const auditEvent = obj(
  { id: str, at: dateTime, actor: open({ type: str }), action: str, target: anyJson, summary: anyJson, requestId: nullable(str), changeId: nullable(str) },
  ['target', 'summary'],
);

export const change = obj(
  {
    id: str,
    kind: str,
    status: enumOf('pending', 'applied', 'failed'),
    acceptedAt: dateTime,
    appliedAt: nullable(dateTime),
    lagMs: nullable(num),
    attempts: int,
    error: nullable(str),
    userCount: int,
    slices: obj({ total: int, done: int }),
  },
  ['userCount', 'slices'],
);

const lagWindow = open({ applied: int, p50: nullable(num), p95: nullable(num), p99: nullable(num) });
export const propagation = open({
  pending: int,
  oldestPendingAgeMs: nullable(num),
  lagMs: obj({ last5Minutes: lagWindow, last60Minutes: lagWindow }),
  // The latest failures are read with a projection, so only some of a change's fields are there.
  failed: obj({ count: int, latest: arrayOf(open({ id: str, kind: str })) }),
  queue: anyJson,
});
export const deprovisioningRow = open({ kind: str, changeId: str, acceptedAt: dateTime, deniedAfterMs: num, status: str });
export const lagByMinute = open({ goalMs: num, minutes: arrayOf(anyJson), isPartial: bool });

export const session = obj({ orgId: str, orgSlug: str, keyName: str, permissions: strings, csrfToken: str, expiresAt: dateTime });
