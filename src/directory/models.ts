import type { Connection, Model } from 'mongoose';
import { defineCollection } from '../shared/define-collection';

export type Provider = 'okta' | 'entra' | 'generic';
export const PROVIDERS: readonly Provider[] = ['okta', 'entra', 'generic'];

export interface OrganizationDoc {
  _id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

export interface DirectoryDoc {
  _id: string;
  orgId: string;
  name: string;
  nameKey: string;
  provider: Provider;
  createdAt: Date;
}

export interface DirectoryTokenDoc {
  _id: string;
  directoryId: string;
  orgId: string;
  hash: string;
  /** Last characters of the secret, so an admin can tell tokens apart without seeing them. */
  hint: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A SCIM user. Core attributes sit at the top level under their SCIM names; the enterprise extension under `enterprise`. */
export interface UserDoc {
  _id: string;
  orgId: string;
  directoryId: string;
  userName: string;
  userNameKey: string;
  externalId?: string;
  active: boolean;
  enterprise?: Record<string, unknown>;
  passwordHash?: string;
  extensionSchemas?: string[];
  version: number;
  createdAt: Date;
  lastModifiedAt: Date;
  [attribute: string]: unknown;
}

export interface GroupDoc {
  _id: string;
  orgId: string;
  directoryId: string;
  displayName: string;
  displayNameKey: string;
  externalId?: string;
  extensionSchemas?: string[];
  memberCount: number;
  version: number;
  createdAt: Date;
  lastModifiedAt: Date;
}

/** One document per (group, member): a group of 100,000 members never approaches MongoDB's 16 MB document cap. */
export interface MembershipDoc {
  _id: string;
  directoryId: string;
  orgId: string;
  groupId: string;
  memberId: string;
  memberType: 'User' | 'Group';
  display?: string;
  createdAt: Date;
}

/** What is left of a deleted user, for the audit trail. */
export interface UserTombstoneDoc {
  _id: string;
  orgId: string;
  directoryId: string;
  userName: string;
  externalId?: string;
  deletedAt: Date;
}

export interface GroupTombstoneDoc {
  _id: string;
  orgId: string;
  directoryId: string;
  displayName: string;
  deletedAt: Date;
}

export interface DirectoryModels {
  organizations: Model<OrganizationDoc>;
  directories: Model<DirectoryDoc>;
  tokens: Model<DirectoryTokenDoc>;
  users: Model<UserDoc>;
  groups: Model<GroupDoc>;
  memberships: Model<MembershipDoc>;
  userTombstones: Model<UserTombstoneDoc>;
  groupTombstones: Model<GroupTombstoneDoc>;
}

export function directoryModels(conn: Connection): DirectoryModels {
  return {
    organizations: defineCollection<OrganizationDoc>(conn, 'Organization', 'organizations', {
      fields: { _id: String, slug: { type: String, required: true }, name: String, createdAt: Date },
      indexes: [[{ slug: 1 }, { unique: true }]],
    }),
    directories: defineCollection<DirectoryDoc>(conn, 'Directory', 'directories', {
      fields: { _id: String, orgId: String, name: String, nameKey: String, provider: String, createdAt: Date },
      indexes: [[{ orgId: 1, nameKey: 1 }, { unique: true }]],
    }),
    tokens: defineCollection<DirectoryTokenDoc>(conn, 'DirectoryToken', 'directory_tokens', {
      fields: {
        _id: String,
        directoryId: String,
        orgId: String,
        hash: String,
        hint: String,
        createdAt: Date,
        revokedAt: { type: Date, default: null },
        lastUsedAt: { type: Date, default: null },
      },
      indexes: [[{ hash: 1 }, { unique: true }], [{ directoryId: 1 }]],
    }),
    users: defineCollection<UserDoc>(conn, 'User', 'users', {
      fields: { _id: String, orgId: String, directoryId: String, userName: String, userNameKey: String, active: Boolean, version: Number },
      indexes: [
        [{ directoryId: 1, userNameKey: 1 }, { unique: true }],
        [{ directoryId: 1, externalId: 1 }],
        [{ directoryId: 1, lastModifiedAt: 1 }],
        // Unfiltered list pages in creation order: counted and skipped on index keys alone (MongoDB).
        [{ directoryId: 1, createdAt: 1, _id: 1 }],
        [{ orgId: 1 }],
      ],
      strict: false,
    }),
    groups: defineCollection<GroupDoc>(conn, 'Group', 'groups', {
      fields: {
        _id: String,
        orgId: String,
        directoryId: String,
        displayName: String,
        displayNameKey: String,
        externalId: String,
        extensionSchemas: [String],
        memberCount: Number,
        version: Number,
        createdAt: Date,
        lastModifiedAt: Date,
      },
      indexes: [[{ directoryId: 1, displayNameKey: 1 }], [{ directoryId: 1, externalId: 1 }], [{ orgId: 1 }], [{ directoryId: 1, createdAt: 1, _id: 1 }]],
    }),
    memberships: defineCollection<MembershipDoc>(conn, 'Membership', 'memberships', {
      fields: {
        _id: String,
        directoryId: String,
        orgId: String,
        groupId: String,
        memberId: String,
        memberType: String,
        display: String,
        createdAt: Date,
      },
      indexes: [[{ groupId: 1, memberId: 1 }, { unique: true }], [{ memberId: 1 }], [{ orgId: 1, memberType: 1 }]],
    }),
    userTombstones: defineCollection<UserTombstoneDoc>(conn, 'UserTombstone', 'user_tombstones', {
      fields: { _id: String, orgId: String, directoryId: String, userName: String, externalId: String, deletedAt: Date },
      indexes: [[{ orgId: 1, deletedAt: -1 }]],
    }),
    groupTombstones: defineCollection<GroupTombstoneDoc>(conn, 'GroupTombstone', 'group_tombstones', {
      fields: { _id: String, orgId: String, directoryId: String, displayName: String, deletedAt: Date },
    }),
  };
}
