import { Schema, type Connection, type Model } from 'mongoose';
import { modelOf } from '../shared/mongo';

export type ScopeDoc = { type: 'organization' } | { type: 'project'; projectId: string };
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

const opts = { versionKey: false, _id: false, strict: false } as const;
const scope = { type: { type: String }, projectId: String };

export function rbacModels(conn: Connection): RbacModels {
  const project = new Schema<ProjectDoc>({ _id: String, orgId: String, name: String, nameKey: String, archivedAt: Date, createdAt: Date }, opts);
  project.index({ orgId: 1, nameKey: 1 }, { unique: true });

  const role = new Schema<CustomRoleDoc>(
    {
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
    opts,
  );
  role.index({ orgId: 1, scopeKey: 1, nameKey: 1 }, { unique: true });

  const policy = new Schema<PolicyDoc>(
    { _id: String, orgId: String, name: String, nameKey: String, description: String, permissions: [String], createdAt: Date, updatedAt: Date },
    opts,
  );
  policy.index({ orgId: 1, nameKey: 1 }, { unique: true });

  const binding = new Schema<BindingDoc>(
    {
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
    opts,
  );
  binding.index({ orgId: 1, principalType: 1, principalId: 1 });
  binding.index({ orgId: 1, roleId: 1 });

  const sa = new Schema<ServiceAccountDoc>({ _id: String, orgId: String, projectId: String, name: String, isActive: Boolean, createdAt: Date }, opts);
  sa.index({ orgId: 1, projectId: 1 });

  const apiKey = new Schema<ApiKeyDoc>(
    {
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
    opts,
  );
  apiKey.index({ hash: 1 }, { unique: true });
  apiKey.index({ orgId: 1, ownerType: 1, ownerId: 1 });

  const adminKey = new Schema<AdminKeyDoc>(
    { _id: String, orgId: String, name: String, hash: String, hint: String, roleId: String, createdAt: Date, revokedAt: Date, lastUsedAt: Date },
    opts,
  );
  adminKey.index({ hash: 1 }, { unique: true });

  return {
    projects: modelOf<ProjectDoc>(conn, 'Project', project, 'projects'),
    roles: modelOf<CustomRoleDoc>(conn, 'CustomRole', role, 'roles'),
    policies: modelOf<PolicyDoc>(conn, 'Policy', policy, 'policies'),
    bindings: modelOf<BindingDoc>(conn, 'RoleBinding', binding, 'role_bindings'),
    serviceAccounts: modelOf<ServiceAccountDoc>(conn, 'ServiceAccount', sa, 'service_accounts'),
    apiKeys: modelOf<ApiKeyDoc>(conn, 'ApiKey', apiKey, 'api_keys'),
    adminKeys: modelOf<AdminKeyDoc>(conn, 'AdminKey', adminKey, 'admin_keys'),
  };
}
