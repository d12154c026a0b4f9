import { Schema, type Connection, type Model } from 'mongoose';
import { modelOf } from '../shared/mongo';

/** Why a permission is held: one binding, through one role (and maybe a group or policy). */
export interface GrantRef {
  bindingId: string;
  roleId: string;
  roleName: string;
  scope: 'organization' | 'project';
  projectId?: string;
  /** The principal that carries the binding: the user itself, a group of it, or the service account. */
  via: { type: 'user' | 'group' | 'serviceAccount'; id: string; display?: string };
  policyId?: string;
}

/** Permission ids contain dots, which MongoDB field names should not, so grants are stored as lists. */
export interface PermissionGrants {
  permission: string;
  grants: GrantRef[];
}

/**
 * The materialized access of one principal, written by the workers and read by every access check
 * (one indexed read by _id).
 */
export interface AccessDoc {
  _id: string; // `user-<id>` or `sa-<id>`
  orgId: string;
  principalType: 'user' | 'serviceAccount';
  principalId: string;
  userNameKey?: string;
  isActive: boolean;
  /** Organization-level permissions. */
  org: PermissionGrants[];
  /** Project-level permissions granted in one project (by project-level bindings). */
  projects: Array<{ projectId: string; permissions: PermissionGrants[] }>;
  /** Project-level permissions held in every live project (by organization-level bindings). */
  allProjects?: PermissionGrants[];
  /** The change through which this document is current. */
  changeId: string | null;
  computedAt: Date;
  /**
   * When the writer began reading the state it computed from. A write only replaces a document read
   * from older state, so a recompute that read before a concurrent change cannot undo the newer one.
   */
  sourceAt?: Date;
  version: number;
}

export const accessDocId = (type: 'user' | 'serviceAccount', id: string): string => `${type === 'user' ? 'user' : 'sa'}-${id}`;

export function accessModel(conn: Connection): Model<AccessDoc> {
  const schema = new Schema<AccessDoc>(
    { _id: String, orgId: String, principalType: String, principalId: String, userNameKey: String, isActive: Boolean },
    { versionKey: false, _id: false, strict: false, minimize: false },
  );
  schema.index({ orgId: 1, userNameKey: 1 });
  return modelOf<AccessDoc>(conn, 'AccessDocument', schema, 'access_documents');
}
