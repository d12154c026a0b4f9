import type { FreshCache } from '../shared/fresh-cache';
import type { LastUsed } from '../shared/last-used';
import { createBindingStore } from './binding.store';
import { createKeyStore } from './key.store';
import { createProjectStore } from './project.store';
import type { RbacModels } from './rbac.models';
import { createRoleStore } from './role.store';
import { createServiceAccountStore } from './service-account.store';

/** What an RBAC write may do to access, for the propagation pipeline to record. */
export interface AccessImpact {
  userIds?: string[];
  groupIds?: string[];
  serviceAccountIds?: string[];
  wholeOrg?: boolean;
}

export type RbacStore = ReturnType<typeof createRbacStore>;

/** Owner of the RBAC collections: projects, roles, policies, bindings, service accounts and keys, one store each. */
export function createRbacStore(deps: RbacModels & { fresh: FreshCache; lastUsed: LastUsed }) {
  const { projects, roles, policies, bindings, serviceAccounts, apiKeys, adminKeys, fresh, lastUsed } = deps;
  const bindingStore = createBindingStore({ bindings });
  const keyStore = createKeyStore({ apiKeys, adminKeys, fresh, lastUsed });
  return {
    ...createProjectStore({ projects, fresh }),
    ...createRoleStore({ roles, policies, bindings: bindingStore }),
    ...bindingStore,
    ...createServiceAccountStore({ serviceAccounts, bindings: bindingStore, keys: keyStore }),
    ...keyStore,
  };
}
