import type { AuditEventDoc } from '../audit/audit.service';
import type { ChangeDoc } from '../propagation/change.model';
import type { ApiKeyDoc, BindingDoc, CustomRoleDoc, PolicyDoc, ProjectDoc, ServiceAccountDoc } from '../rbac/rbac.models';

// What the admin API shows of each document: ids as `id`, no hashes, no internal keys.

const copied = <T, K extends keyof T>(doc: T, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, doc[k]] as const)) as Pick<T, K>;

/** An optional field the document lacks is shown as null, so every answer carries the same keys. */
const orNull = <T, K extends keyof T>(doc: T, keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, doc[k] ?? null] as const)) as { [P in K]-?: Exclude<T[P], undefined> | null };

export const presentProject = (p: ProjectDoc) => ({ id: p._id, name: p.name, archived: Boolean(p.archivedAt), archivedAt: p.archivedAt ?? null, createdAt: p.createdAt });

export const presentPolicy = (p: PolicyDoc) => ({
  id: p._id,
  name: p.name,
  description: p.description,
  permissions: p.permissions,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

export const presentRole = (r: CustomRoleDoc) => ({
  id: r._id,
  name: r.name,
  description: r.description,
  scope: r.scope.type === 'project' ? { type: 'project', projectId: r.scope.projectId } : { type: 'organization' },
  permissions: r.permissions,
  policyIds: r.policyIds ?? [],
  preset: false,
  version: r.version,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const presentBinding = (b: BindingDoc) => ({
  id: b._id,
  principal: { type: b.principalType, id: b.principalId, ...(b.principalDisplay ? { display: b.principalDisplay } : {}) },
  scope: b.scope.type === 'project' ? { type: 'project', projectId: b.scope.projectId } : { type: 'organization' },
  roleId: b.roleId,
  createdAt: b.createdAt,
});

export const presentServiceAccount = (s: ServiceAccountDoc) => ({ id: s._id, projectId: s.projectId, name: s.name, active: s.isActive, createdAt: s.createdAt });

export const presentApiKey = (k: ApiKeyDoc) => ({
  id: k._id,
  name: k.name,
  projectId: k.projectId,
  owner: { type: k.ownerType, id: k.ownerId },
  permissions: k.permissions,
  hint: `...${k.hint}`,
  createdAt: k.createdAt,
  revoked: Boolean(k.revokedAt),
  ...orNull(k, ['revokedAt', 'revokedReason', 'lastUsedAt']),
});

export const presentAuditEvent = (e: AuditEventDoc) => ({
  id: e._id,
  ...copied(e, ['at', 'actor', 'action', 'target', 'summary']),
  ...orNull(e, ['requestId', 'changeId']),
});

export const presentChange = (c: ChangeDoc) => ({
  id: c._id,
  ...copied(c, ['kind', 'status', 'acceptedAt']),
  ...orNull(c, ['appliedAt', 'lagMs']),
  attempts: c.attempts,
  error: c.error ?? null,
  ...(c.userIds ? { userCount: c.userIds.length } : {}),
  ...(c.slicesTotal ? { slices: { total: c.slicesTotal, done: c.slicesDone ?? 0 } } : {}),
});
