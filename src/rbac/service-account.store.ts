import type { Model } from 'mongoose';
import { NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import type { BindingStore } from './binding.store';
import type { KeyStore } from './key.store';
import { getInOrg } from './org-documents';
import type { ServiceAccountDoc } from './rbac.models';

export type ServiceAccountStore = ReturnType<typeof createServiceAccountStore>;

/** Owner of the service accounts: non-human principals, each of one project. */
export function createServiceAccountStore(deps: {
  serviceAccounts: Model<ServiceAccountDoc>;
  bindings: Pick<BindingStore, 'deleteBindingsOf'>;
  keys: Pick<KeyStore, 'revokeKeysOf'>;
}) {
  const { serviceAccounts } = deps;

  async function createServiceAccount(orgId: string, projectId: string, name: string): Promise<ServiceAccountDoc> {
    const doc: ServiceAccountDoc = { _id: newId(), orgId, projectId, name, isActive: true, createdAt: new Date() };
    await serviceAccounts.collection.insertOne(doc as never);
    return doc;
  }
  async function getServiceAccount(orgId: string, id: string): Promise<ServiceAccountDoc> {
    return getInOrg(serviceAccounts, orgId, id, 'service account');
  }
  async function findServiceAccount(orgId: string, id: string): Promise<ServiceAccountDoc | null> {
    return serviceAccounts.findOne({ _id: id, orgId }).lean<ServiceAccountDoc>();
  }
  async function listServiceAccounts(orgId: string, projectId?: string): Promise<ServiceAccountDoc[]> {
    return serviceAccounts.find({ orgId, ...(projectId ? { projectId } : {}) }).sort({ createdAt: 1 }).lean<ServiceAccountDoc[]>();
  }
  async function deleteServiceAccount(orgId: string, id: string): Promise<void> {
    const res = await serviceAccounts.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`service account ${id}`);
    await deps.bindings.deleteBindingsOf(orgId, 'serviceAccount', id);
    await deps.keys.revokeKeysOf(orgId, 'serviceAccount', id, 'service account deleted');
  }

  return { createServiceAccount, getServiceAccount, findServiceAccount, listServiceAccounts, deleteServiceAccount };
}
