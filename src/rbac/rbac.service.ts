import type { Model } from 'mongoose';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId, newSecret } from '../shared/ids';
import { isDuplicateKey } from '../shared/mongo';
import { hashSecret } from '../shared/secret-hash';
import type { FreshCache } from '../shared/fresh-cache';
import type { LastUsed } from '../shared/last-used';
import { createSecretIndex } from '../shared/secret-index';
import type {
  AdminKeyDoc,
  ApiKeyDoc,
  BindingDoc,
  CustomRoleDoc,
  PolicyDoc,
  PrincipalType,
  ProjectDoc,
  RbacModels,
  ScopeDoc,
  ServiceAccountDoc,
} from './rbac.models';

export const scopeKeyOf = (scope: ScopeDoc): string => (scope.type === 'organization' ? 'org' : scope.projectId);

/** What an RBAC write may do to access, for the propagation pipeline to record. */
export interface AccessImpact {
  userIds?: string[];
  groupIds?: string[];
  serviceAccountIds?: string[];
  wholeOrg?: boolean;
}

export type RbacStore = ReturnType<typeof createRbacStore>;

/** Owner of the RBAC collections: projects, roles, policies, bindings, service accounts and keys. */
export function createRbacStore(deps: RbacModels & { fresh: FreshCache; lastUsed: LastUsed }) {
  const { projects, roles, policies, bindings, serviceAccounts, apiKeys, adminKeys, fresh, lastUsed } = deps;

  async function insertUnique<T>(model: Model<T>, doc: T, what: string, detail: string): Promise<T> {
    try {
      await model.collection.insertOne(doc as never);
      return doc;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict(what, detail);
      throw err;
    }
  }

  // --- projects -------------------------------------------------------------------------------
  async function createProject(orgId: string, name: string): Promise<ProjectDoc> {
    const doc: ProjectDoc = { _id: newId(), orgId, name, nameKey: name.toLowerCase(), archivedAt: null, createdAt: new Date() };
    return insertUnique(projects, doc, 'Project', `a project named "${name}" already exists`);
  }
  async function getProject(orgId: string, id: string): Promise<ProjectDoc> {
    const p = await projects.findOne({ _id: id, orgId }).lean<ProjectDoc>();
    if (!p) throw new NotFound(`project ${id}`);
    return p;
  }
  /** For access checks: through the cache, so archiving is seen at once everywhere. Read-only result. */
  async function liveProject(orgId: string, id: string): Promise<ProjectDoc | null> {
    const p = await fresh.read('project', id, () => projects.findOne({ _id: id }).lean<ProjectDoc>());
    return p && p.orgId === orgId && !p.archivedAt ? p : null;
  }
  async function listProjects(orgId: string, includeArchived = false): Promise<ProjectDoc[]> {
    return projects
      .find({ orgId, ...(includeArchived ? {} : { archivedAt: null }) })
      .sort({ createdAt: 1 })
      .lean<ProjectDoc[]>();
  }
  async function updateProject(orgId: string, id: string, patch: { name?: string; archived?: boolean }): Promise<ProjectDoc> {
    const set: Record<string, unknown> = {};
    if (patch.name !== undefined) Object.assign(set, { name: patch.name, nameKey: patch.name.toLowerCase() });
    if (patch.archived !== undefined) set.archivedAt = patch.archived ? new Date() : null;
    // Renames check the name first: FerretDB reports a findAndModify duplicate as InternalError (code 1),
    // not 11000, so the catch below alone would answer 500. The catch still covers a racing writer on MongoDB.
    if (patch.name !== undefined && (await projects.exists({ orgId, nameKey: patch.name.toLowerCase(), _id: { $ne: id } }))) {
      throw new Conflict('Project', `a project named "${patch.name}" already exists`);
    }
    try {
      const p = await projects.findOneAndUpdate({ _id: id, orgId }, { $set: set }, { returnDocument: 'after' }).lean<ProjectDoc>();
      if (!p) throw new NotFound(`project ${id}`);
      await fresh.invalidate('project', [id]);
      return p;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict('Project', `a project named "${patch.name}" already exists`);
      throw err;
    }
  }

  // --- policies -------------------------------------------------------------------------------
  async function createPolicy(orgId: string, input: { name: string; description?: string; permissions: string[] }): Promise<PolicyDoc> {
    const now = new Date();
    const doc: PolicyDoc = {
      _id: newId(),
      orgId,
      name: input.name,
      nameKey: input.name.toLowerCase(),
      description: input.description ?? '',
      permissions: [...new Set(input.permissions)],
      createdAt: now,
      updatedAt: now,
    };
    return insertUnique(policies, doc, 'Policy', `a policy named "${input.name}" already exists`);
  }
  async function getPolicy(orgId: string, id: string): Promise<PolicyDoc> {
    const p = await policies.findOne({ _id: id, orgId }).lean<PolicyDoc>();
    if (!p) throw new NotFound(`policy ${id}`);
    return p;
  }
  async function listPolicies(orgId: string): Promise<PolicyDoc[]> {
    return policies.find({ orgId }).sort({ createdAt: 1 }).lean<PolicyDoc[]>();
  }
  async function updatePolicy(
    orgId: string,
    id: string,
    patch: { name?: string; description?: string; permissions?: string[] },
  ): Promise<PolicyDoc> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    if (patch.name !== undefined) Object.assign(set, { name: patch.name, nameKey: patch.name.toLowerCase() });
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.permissions !== undefined) set.permissions = [...new Set(patch.permissions)];
    if (patch.name !== undefined && (await policies.exists({ orgId, nameKey: patch.name.toLowerCase(), _id: { $ne: id } }))) {
      throw new Conflict('Policy', `a policy named "${patch.name}" already exists`);
    }
    try {
      const p = await policies.findOneAndUpdate({ _id: id, orgId }, { $set: set }, { returnDocument: 'after' }).lean<PolicyDoc>();
      if (!p) throw new NotFound(`policy ${id}`);
      return p;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict('Policy', `a policy named "${patch.name}" already exists`);
      throw err;
    }
  }
  async function deletePolicy(orgId: string, id: string): Promise<void> {
    const inUse = await roles.exists({ orgId, policyIds: id });
    if (inUse) throw new Conflict('Policy', 'the policy is used by a role; remove it from the role first');
    const res = await policies.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`policy ${id}`);
  }

  // --- custom roles ---------------------------------------------------------------------------
  async function createRole(
    orgId: string,
    input: { name: string; description?: string; scope: ScopeDoc; permissions: string[]; policyIds: string[] },
  ): Promise<CustomRoleDoc> {
    const now = new Date();
    const doc: CustomRoleDoc = {
      _id: newId(),
      orgId,
      scope: input.scope,
      scopeKey: scopeKeyOf(input.scope),
      name: input.name,
      nameKey: input.name.toLowerCase(),
      description: input.description ?? '',
      permissions: [...new Set(input.permissions)],
      policyIds: [...new Set(input.policyIds)],
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return insertUnique(roles, doc, 'Role', `a role named "${input.name}" already exists in this scope`);
  }
  async function getRole(orgId: string, id: string): Promise<CustomRoleDoc> {
    const r = await roles.findOne({ _id: id, orgId }).lean<CustomRoleDoc>();
    if (!r) throw new NotFound(`role ${id}`);
    return r;
  }
  async function listRoles(orgId: string): Promise<CustomRoleDoc[]> {
    return roles.find({ orgId }).sort({ createdAt: 1 }).lean<CustomRoleDoc[]>();
  }
  async function updateRole(
    orgId: string,
    id: string,
    patch: { name?: string; description?: string; permissions?: string[]; policyIds?: string[] },
  ): Promise<CustomRoleDoc> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    if (patch.name !== undefined) Object.assign(set, { name: patch.name, nameKey: patch.name.toLowerCase() });
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.permissions !== undefined) set.permissions = [...new Set(patch.permissions)];
    if (patch.policyIds !== undefined) set.policyIds = [...new Set(patch.policyIds)];
    if (patch.name !== undefined) {
      const current = await roles.findOne({ _id: id, orgId }, { scopeKey: 1 }).lean<Pick<CustomRoleDoc, 'scopeKey'>>();
      if (current && (await roles.exists({ orgId, scopeKey: current.scopeKey, nameKey: patch.name.toLowerCase(), _id: { $ne: id } }))) {
        throw new Conflict('Role', `a role named "${patch.name}" already exists in this scope`);
      }
    }
    try {
      const r = await roles
        .findOneAndUpdate({ _id: id, orgId }, { $set: set, $inc: { version: 1 } }, { returnDocument: 'after' })
        .lean<CustomRoleDoc>();
      if (!r) throw new NotFound(`role ${id}`);
      return r;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict('Role', `a role named "${patch.name}" already exists in this scope`);
      throw err;
    }
  }
  async function deleteRole(orgId: string, id: string): Promise<void> {
    if (await bindings.exists({ orgId, roleId: id })) {
      throw new Conflict('Role', 'the role is still bound; remove its bindings first');
    }
    const res = await roles.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`role ${id}`);
  }

  // --- bindings -------------------------------------------------------------------------------
  async function createBinding(
    orgId: string,
    input: { principalType: PrincipalType; principalId: string; principalDisplay?: string; scope: ScopeDoc; roleId: string },
  ): Promise<{ binding: BindingDoc; created: boolean }> {
    const existing = await bindings
      .findOne({
        orgId,
        principalType: input.principalType,
        principalId: input.principalId,
        scopeKey: scopeKeyOf(input.scope),
        roleId: input.roleId,
      })
      .lean<BindingDoc>();
    if (existing) return { binding: existing, created: false };
    const doc: BindingDoc = {
      _id: newId(),
      orgId,
      principalType: input.principalType,
      principalId: input.principalId,
      ...(input.principalDisplay ? { principalDisplay: input.principalDisplay } : {}),
      scope: input.scope,
      scopeKey: scopeKeyOf(input.scope),
      roleId: input.roleId,
      createdAt: new Date(),
    };
    await bindings.collection.insertOne(doc as never);
    return { binding: doc, created: true };
  }
  async function getBinding(orgId: string, id: string): Promise<BindingDoc> {
    const b = await bindings.findOne({ _id: id, orgId }).lean<BindingDoc>();
    if (!b) throw new NotFound(`binding ${id}`);
    return b;
  }
  async function listBindings(
    orgId: string,
    filter: { principalType?: PrincipalType; principalId?: string; roleId?: string; projectId?: string } = {},
  ): Promise<BindingDoc[]> {
    const q: Record<string, unknown> = { orgId };
    if (filter.principalType) q.principalType = filter.principalType;
    if (filter.principalId) q.principalId = filter.principalId;
    if (filter.roleId) q.roleId = filter.roleId;
    if (filter.projectId) q.scopeKey = filter.projectId;
    return bindings.find(q).sort({ createdAt: 1 }).lean<BindingDoc[]>();
  }
  async function deleteBinding(orgId: string, id: string): Promise<BindingDoc> {
    const b = await getBinding(orgId, id);
    await bindings.deleteOne({ _id: id, orgId });
    return b;
  }
  /** Bindings that can reach a user: its own and those of its groups. */
  async function bindingsForPrincipals(orgId: string, principals: Array<{ type: PrincipalType; id: string }>): Promise<BindingDoc[]> {
    if (principals.length === 0) return [];
    return bindings
      .find({ orgId, $or: principals.map((p) => ({ principalType: p.type, principalId: p.id })) })
      .lean<BindingDoc[]>();
  }

  // --- service accounts -----------------------------------------------------------------------
  async function createServiceAccount(orgId: string, projectId: string, name: string): Promise<ServiceAccountDoc> {
    const doc: ServiceAccountDoc = { _id: newId(), orgId, projectId, name, isActive: true, createdAt: new Date() };
    await serviceAccounts.collection.insertOne(doc as never);
    return doc;
  }
  async function getServiceAccount(orgId: string, id: string): Promise<ServiceAccountDoc> {
    const s = await serviceAccounts.findOne({ _id: id, orgId }).lean<ServiceAccountDoc>();
    if (!s) throw new NotFound(`service account ${id}`);
    return s;
  }
  async function listServiceAccounts(orgId: string, projectId?: string): Promise<ServiceAccountDoc[]> {
    return serviceAccounts.find({ orgId, ...(projectId ? { projectId } : {}) }).sort({ createdAt: 1 }).lean<ServiceAccountDoc[]>();
  }
  async function deleteServiceAccount(orgId: string, id: string): Promise<void> {
    const res = await serviceAccounts.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`service account ${id}`);
    await bindings.deleteMany({ orgId, principalType: 'serviceAccount', principalId: id });
    await revokeKeysOf(orgId, 'serviceAccount', id, 'service account deleted');
  }

  // --- API keys -------------------------------------------------------------------------------
  async function createApiKey(
    orgId: string,
    input: { projectId: string; ownerType: 'user' | 'serviceAccount'; ownerId: string; name: string; permissions: string[] | 'all' },
  ): Promise<{ key: ApiKeyDoc; secret: string }> {
    const secret = newSecret('sk');
    const doc: ApiKeyDoc = {
      _id: newId(),
      orgId,
      projectId: input.projectId,
      ownerType: input.ownerType,
      ownerId: input.ownerId,
      name: input.name,
      hash: hashSecret(secret),
      hint: secret.slice(-4),
      permissions: input.permissions === 'all' ? 'all' : [...new Set(input.permissions)],
      createdAt: new Date(),
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
    };
    await apiKeys.collection.insertOne(doc as never);
    return { key: doc, secret };
  }
  async function getApiKey(orgId: string, id: string): Promise<ApiKeyDoc> {
    const k = await apiKeys.findOne({ _id: id, orgId }).lean<ApiKeyDoc>();
    if (!k) throw new NotFound(`API key ${id}`);
    return (await withLastUse([k]))[0];
  }
  async function withLastUse(keys: ApiKeyDoc[]): Promise<ApiKeyDoc[]> {
    const used = await lastUsed.of('apikey', keys.map((k) => k._id));
    return keys.map((k) => ({ ...k, lastUsedAt: used.get(k._id) ?? null }));
  }
  const cachedApiKey = (id: string) => fresh.read('apikey', id, () => apiKeys.findOne({ _id: id }).lean<ApiKeyDoc>());
  /** For access checks, through the cache: a revocation is seen at once on every instance. Read-only result. */
  async function findApiKey(orgId: string, id: string): Promise<ApiKeyDoc | null> {
    const k = await cachedApiKey(id);
    return k && k.orgId === orgId ? k : null;
  }
  /** Throttled, fire and forget: the check that used the key does not wait for it. */
  function markApiKeyUsed(id: string, onError?: (err: Error) => void): void {
    lastUsed.touch('apikey', id, onError);
  }
  async function findRole(orgId: string, id: string): Promise<CustomRoleDoc | null> {
    return roles.findOne({ _id: id, orgId }).lean<CustomRoleDoc>();
  }
  async function findPolicy(orgId: string, id: string): Promise<PolicyDoc | null> {
    return policies.findOne({ _id: id, orgId }).lean<PolicyDoc>();
  }
  async function findServiceAccount(orgId: string, id: string): Promise<ServiceAccountDoc | null> {
    return serviceAccounts.findOne({ _id: id, orgId }).lean<ServiceAccountDoc>();
  }
  const apiKeyOfSecret = createSecretIndex(apiKeys);
  async function findApiKeyBySecret(secret: string): Promise<ApiKeyDoc | null> {
    const named = await apiKeyOfSecret(secret);
    return named && cachedApiKey(named.id);
  }
  async function listApiKeys(orgId: string, filter: { projectId?: string; ownerId?: string } = {}): Promise<ApiKeyDoc[]> {
    const keys = await apiKeys
      .find({ orgId, ...(filter.projectId ? { projectId: filter.projectId } : {}), ...(filter.ownerId ? { ownerId: filter.ownerId } : {}) })
      .sort({ createdAt: 1 })
      .lean<ApiKeyDoc[]>();
    return withLastUse(keys);
  }
  async function revokeApiKey(orgId: string, id: string, reason: string): Promise<ApiKeyDoc> {
    const k = await apiKeys
      .findOneAndUpdate({ _id: id, orgId, revokedAt: null }, { $set: { revokedAt: new Date(), revokedReason: reason } }, { returnDocument: 'after' })
      .lean<ApiKeyDoc>();
    await fresh.invalidate('apikey', [id]);
    return k ?? getApiKey(orgId, id);
  }
  /** Revokes every live key a user owns (deprovisioning); returns how many. */
  async function revokeKeysOf(orgId: string, ownerType: 'user' | 'serviceAccount', ownerId: string, reason: string): Promise<number> {
    const res = await apiKeys.updateMany(
      { orgId, ownerType, ownerId, revokedAt: null },
      { $set: { revokedAt: new Date(), revokedReason: reason } },
    );
    // Every key of the owner, revoked before or now: cheap, and no key created meanwhile is missed.
    const all = await apiKeys.find({ orgId, ownerType, ownerId }, { _id: 1 }).lean<Array<Pick<ApiKeyDoc, '_id'>>>();
    await fresh.invalidate('apikey', all.map((k) => k._id));
    return res.modifiedCount;
  }

  // --- admin keys -----------------------------------------------------------------------------
  async function createAdminKey(orgId: string, name: string, roleId: string): Promise<{ key: AdminKeyDoc; secret: string }> {
    if (!name.trim()) throw new InvalidRequest('admin key name is required');
    const secret = newSecret('adm');
    const doc: AdminKeyDoc = {
      _id: newId(),
      orgId,
      name,
      hash: hashSecret(secret),
      hint: secret.slice(-4),
      roleId,
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await adminKeys.collection.insertOne(doc as never);
    return { key: doc, secret };
  }
  /**
   * Admin keys authenticate every admin and access-check call, so they go through the cache; a
   * revocation is seen at once on every instance. Last-used times are kept apart (see shared/last-used).
   */
  const adminKeyOfSecret = createSecretIndex(adminKeys, 10_000);
  async function findAdminKeyBySecret(secret: string): Promise<AdminKeyDoc | null> {
    const named = await adminKeyOfSecret(secret);
    if (!named) return null;
    const id = named.id;
    const k = await fresh.read('adminkey', id, () => adminKeys.findOne({ _id: id }).lean<AdminKeyDoc>());
    if (k && !k.revokedAt) lastUsed.touch('adminkey', id);
    return k;
  }
  async function revokeAdminKey(orgId: string, id: string): Promise<void> {
    const res = await adminKeys.updateOne({ _id: id, orgId }, { $set: { revokedAt: new Date() } });
    if (res.matchedCount === 0) throw new NotFound(`admin key ${id}`);
    await fresh.invalidate('adminkey', [id]);
  }

  return {
    findApiKey,
    markApiKeyUsed,
    findRole,
    findPolicy,
    findServiceAccount,
    createProject,
    getProject,
    listProjects,
    liveProject,
    updateProject,
    createPolicy,
    getPolicy,
    listPolicies,
    updatePolicy,
    deletePolicy,
    createRole,
    getRole,
    listRoles,
    updateRole,
    deleteRole,
    createBinding,
    getBinding,
    listBindings,
    deleteBinding,
    bindingsForPrincipals,
    createServiceAccount,
    getServiceAccount,
    listServiceAccounts,
    deleteServiceAccount,
    createApiKey,
    getApiKey,
    findApiKeyBySecret,
    listApiKeys,
    revokeApiKey,
    revokeKeysOf,
    createAdminKey,
    findAdminKeyBySecret,
    revokeAdminKey,
  };
}
