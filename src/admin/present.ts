import type { AuditEventDoc } from '../audit/audit.service';
import type { ApiKeyDoc, BindingDoc, CustomRoleDoc, PolicyDoc, ProjectDoc, ServiceAccountDoc } from '../rbac/rbac.models';

// What the admin API shows of each document: ids as `id`, no hashes, no internal keys.

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
  revokedAt: k.revokedAt ?? null,
  revokedReason: k.revokedReason ?? null,
  lastUsedAt: k.lastUsedAt ?? null,
});

export const presentAuditEvent = (e: AuditEventDoc) => ({
  id: e._id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  target: e.target,
  summary: e.summary,
  requestId: e.requestId ?? null,
  changeId: e.changeId ?? null,
});
