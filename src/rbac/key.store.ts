import type { Model } from 'mongoose';
import { InvalidRequest, NotFound } from '../shared/errors';
import type { FreshCache } from '../shared/fresh-cache';
import { newId, newSecret } from '../shared/ids';
import type { LastUsed } from '../shared/last-used';
import { hashSecret } from '../shared/secret-hash';
import { createSecretIndex } from '../shared/secret-index';
import { getInOrg } from './org-documents';
import type { AdminKeyDoc, ApiKeyDoc } from './rbac.models';

export type KeyStore = ReturnType<typeof createKeyStore>;

/** Owner of the API keys (project credentials of users and service accounts) and the admin keys. */
export function createKeyStore(deps: {
  apiKeys: Model<ApiKeyDoc>;
  adminKeys: Model<AdminKeyDoc>;
  fresh: Pick<FreshCache, 'read' | 'invalidate'>;
  lastUsed: Pick<LastUsed, 'of' | 'touch'>;
}) {
  const { apiKeys, adminKeys, fresh, lastUsed } = deps;

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
    const k = await getInOrg(apiKeys, orgId, id, 'API key');
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
    createApiKey,
    getApiKey,
    findApiKey,
    markApiKeyUsed,
    findApiKeyBySecret,
    listApiKeys,
    revokeApiKey,
    revokeKeysOf,
    createAdminKey,
    findAdminKeyBySecret,
    revokeAdminKey,
  };
}
