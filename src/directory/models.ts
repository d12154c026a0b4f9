import { Schema, type Connection, type Model } from 'mongoose';
import { modelOf } from '../shared/mongo';

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

const opts = { versionKey: false, _id: false } as const;

export function directoryModels(conn: Connection): DirectoryModels {
  const organization = new Schema<OrganizationDoc>(
    { _id: String, slug: { type: String, required: true }, name: String, createdAt: Date },
    opts,
  );
  organization.index({ slug: 1 }, { unique: true });

  const directory = new Schema<DirectoryDoc>(
    { _id: String, orgId: String, name: String, nameKey: String, provider: String, createdAt: Date },
    opts,
  );
  directory.index({ orgId: 1, nameKey: 1 }, { unique: true });

  const token = new Schema<DirectoryTokenDoc>(
    {
      _id: String,
      directoryId: String,
      orgId: String,
      hash: String,
      hint: String,
      createdAt: Date,
      revokedAt: { type: Date, default: null },
      lastUsedAt: { type: Date, default: null },
    },
    opts,
  );
  token.index({ hash: 1 }, { unique: true });
  token.index({ directoryId: 1 });

  const user = new Schema<UserDoc>(
    { _id: String, orgId: String, directoryId: String, userName: String, userNameKey: String, active: Boolean, version: Number },
    { ...opts, strict: false },
  );
  user.index({ directoryId: 1, userNameKey: 1 }, { unique: true });
  user.index({ directoryId: 1, externalId: 1 });
  user.index({ directoryId: 1, lastModifiedAt: 1 });
  user.index({ orgId: 1 });

  const group = new Schema<GroupDoc>(
    {
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
    opts,
  );
  group.index({ directoryId: 1, displayNameKey: 1 });
  group.index({ directoryId: 1, externalId: 1 });
  group.index({ orgId: 1 });

  const membership = new Schema<MembershipDoc>(
    {
      _id: String,
      directoryId: String,
      orgId: String,
      groupId: String,
      memberId: String,
      memberType: String,
      display: String,
      createdAt: Date,
    },
    opts,
  );
  membership.index({ groupId: 1, memberId: 1 }, { unique: true });
  membership.index({ memberId: 1 });
  membership.index({ orgId: 1, memberType: 1 });

  const userTombstone = new Schema<UserTombstoneDoc>(
    { _id: String, orgId: String, directoryId: String, userName: String, externalId: String, deletedAt: Date },
    opts,
  );
  userTombstone.index({ orgId: 1, deletedAt: -1 });
  const groupTombstone = new Schema<GroupTombstoneDoc>(
    { _id: String, orgId: String, directoryId: String, displayName: String, deletedAt: Date },
    opts,
  );

  return {
    organizations: modelOf<OrganizationDoc>(conn, 'Organization', organization, 'organizations'),
    directories: modelOf<DirectoryDoc>(conn, 'Directory', directory, 'directories'),
    tokens: modelOf<DirectoryTokenDoc>(conn, 'DirectoryToken', token, 'directory_tokens'),
    users: modelOf<UserDoc>(conn, 'User', user, 'users'),
    groups: modelOf<GroupDoc>(conn, 'Group', group, 'groups'),
    memberships: modelOf<MembershipDoc>(conn, 'Membership', membership, 'memberships'),
    userTombstones: modelOf<UserTombstoneDoc>(conn, 'UserTombstone', userTombstone, 'user_tombstones'),
    groupTombstones: modelOf<GroupTombstoneDoc>(conn, 'GroupTombstone', groupTombstone, 'group_tombstones'),
  };
}
