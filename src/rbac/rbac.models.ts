import type { Connection, Model } from 'mongoose';
import { defineCollection, type CollectionSpec } from '../shared/define-collection';

export type ScopeDoc = { type: 'organization' } | { type: 'project'; projectId: string };
export const scopeKeyOf = (scope: ScopeDoc): string => (scope.type === 'organization' ? 'org' : scope.projectId);
export type PrincipalType = 'user' | 'group' | 'serviceAccount';

export interface ProjectDoc {
  _id: string;
  orgId: string;
  name: string;
  nameKey: string;
  archivedAt: Date | null;
  createdAt: Date;
}

export interface CustomRoleDoc {
  _id: string;
  orgId: string;
  scope: ScopeDoc;
  /** 'org' or the project id: part of the unique name key. */
  scopeKey: string;
  name: string;
  nameKey: string;
  description: string;
  permissions: string[];
  policyIds: string[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicyDoc {
  _id: string;
  orgId: string;
  name: string;
  nameKey: string;
  description: string;
  permissions: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface BindingDoc {
  _id: string;
  orgId: string;
  principalType: PrincipalType;
  principalId: string;
  /** For group bindings: the IdP group's name when it was bound, for people reading the binding. */
  principalDisplay?: string;
  scope: ScopeDoc;
  scopeKey: string;
  roleId: string;
  createdAt: Date;
}

export interface ServiceAccountDoc {
  _id: string;
  orgId: string;
  projectId: string;
  name: string;
  isActive: boolean;
  createdAt: Date;
}

export interface ApiKeyDoc {
  _id: string;
  orgId: string;
  projectId: string;
  ownerType: 'user' | 'serviceAccount';
  ownerId: string;
  name: string;
  hash: string;
  hint: string;
  /** Explicit permissions, or every permission the owner holds in the project. */
  permissions: string[] | 'all';
  createdAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  lastUsedAt: Date | null;
}

export interface AdminKeyDoc {
  _id: string;
  orgId: string;
  name: string;
  hash: string;
  hint: string;
  /** The role whose permissions the key carries, at organization scope. */
  roleId: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface RbacModels {
  projects: Model<ProjectDoc>;
  roles: Model<CustomRoleDoc>;
  policies: Model<PolicyDoc>;
  bindings: Model<BindingDoc>;
  serviceAccounts: Model<ServiceAccountDoc>;
  apiKeys: Model<ApiKeyDoc>;
  adminKeys: Model<AdminKeyDoc>;
}

const scope = { type: { type: String }, projectId: String };

export function rbacModels(conn: Connection): RbacModels {
  const collection = <T>(model: string, name: string, spec: CollectionSpec<T>) =>
    defineCollection<T>(conn, model, name, { ...spec, strict: false });
  return {
    projects: collection<ProjectDoc>('Project', 'projects', {
      fields: { _id: String, orgId: String, name: String, nameKey: String, archivedAt: Date, createdAt: Date },
      indexes: [[{ orgId: 1, nameKey: 1 }, { unique: true }]],
    }),
    roles: collection<CustomRoleDoc>('CustomRole', 'roles', {
      fields: {
        _id: String,
        orgId: String,
        scope,
        scopeKey: String,
        name: String,
        nameKey: String,
        description: String,
        permissions: [String],
        policyIds: [String],
        version: Number,
        createdAt: Date,
        updatedAt: Date,
      },
      indexes: [[{ orgId: 1, scopeKey: 1, nameKey: 1 }, { unique: true }]],
    }),
    policies: collection<PolicyDoc>('Policy', 'policies', {
      fields: { _id: String, orgId: String, name: String, nameKey: String, description: String, permissions: [String], createdAt: Date, updatedAt: Date },
      indexes: [[{ orgId: 1, nameKey: 1 }, { unique: true }]],
    }),
    bindings: collection<BindingDoc>('RoleBinding', 'role_bindings', {
      fields: {
        _id: String,
        orgId: String,
        principalType: String,
        principalId: String,
        principalDisplay: String,
        scope,
        scopeKey: String,
        roleId: String,
        createdAt: Date,
      },
      indexes: [[{ orgId: 1, principalType: 1, principalId: 1 }], [{ orgId: 1, roleId: 1 }]],
    }),
    serviceAccounts: collection<ServiceAccountDoc>('ServiceAccount', 'service_accounts', {
      fields: { _id: String, orgId: String, projectId: String, name: String, isActive: Boolean, createdAt: Date },
      indexes: [[{ orgId: 1, projectId: 1 }]],
    }),
    apiKeys: collection<ApiKeyDoc>('ApiKey', 'api_keys', {
      fields: {
        _id: String,
        orgId: String,
        projectId: String,
        ownerType: String,
        ownerId: String,
        name: String,
        hash: String,
        hint: String,
        createdAt: Date,
        revokedAt: Date,
        revokedReason: String,
        lastUsedAt: Date,
      },
      indexes: [[{ hash: 1 }, { unique: true }], [{ orgId: 1, ownerType: 1, ownerId: 1 }]],
    }),
    adminKeys: collection<AdminKeyDoc>('AdminKey', 'admin_keys', {
      fields: { _id: String, orgId: String, name: String, hash: String, hint: String, roleId: String, createdAt: Date, revokedAt: Date, lastUsedAt: Date },
      indexes: [[{ hash: 1 }, { unique: true }]],
    }),
  };
}
