// The permission catalog: one entry per row of the platform RBAC permission table, in the table's order.
// This file is the single source of truth. `catalog.ts` derives the permissions and `preset-roles.ts` derives the
// preset roles from it; neither lists a permission by hand. The table was reconstructed from a copy whose column
// separators were lost; every reading that needed a judgement is numbered in docs/permission-catalog.md, and the
// entries it touched cite that number.

export type PermissionAction = 'read' | 'write' | 'request' | 'use' | 'manage';

/** The table's action words in its own order (Read, Write, Request, Use, Manage). */
export const PERMISSION_ACTIONS: readonly PermissionAction[] = ['read', 'write', 'request', 'use', 'manage'];

/** 'organization': only organization roles can hold it. 'project': it can also be held through a project role. */
export type PermissionLevel = 'organization' | 'project';

/** The table's five preset-role columns, left to right. */
export type PresetRoleKey = 'org-owner' | 'org-reader' | 'project-owner' | 'project-member' | 'project-viewer';

export const PRESET_ROLE_KEYS: readonly PresetRoleKey[] = [
  'org-owner',
  'org-reader',
  'project-owner',
  'project-member',
  'project-viewer',
];

export interface CatalogAction {
  readonly action: PermissionAction;
  /** The preset roles whose column in the table carries this action for the area. */
  readonly grantedBy: readonly PresetRoleKey[];
}

export interface CatalogArea {
  /** The table's "Area" cell. */
  readonly area: string;
  /** Slug in permission ids: `api.<key>.<action>`. Singular snake_case, after the seed's `api.model.read`. */
  readonly key: string;
  /** The table's "What it allows" cell. */
  readonly description: string;
  readonly level: PermissionLevel;
  /** The table's "Custom role eligible" column. */
  readonly customRoleEligible: boolean;
  readonly actions: readonly CatalogAction[];
}

export const PERMISSION_CATALOG = [
  {
    area: 'List models',
    // `api.model.read` is the one id the seed spells out ("requesting /v1/models ... api.model.read").
    key: 'model',
    description: 'List models this organization has access to',
    level: 'project',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
    ],
  },
  {
    area: 'Groups',
    key: 'group',
    description: 'View and manage groups',
    level: 'project', // interpretation 11
    customRoleEligible: false,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Roles',
    key: 'role',
    description: 'View and manage roles',
    level: 'project', // interpretation 11
    customRoleEligible: false,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Organization Admin',
    key: 'organization_admin',
    description: 'Manage organization users, projects, invites, admin API keys, and rate limits',
    level: 'organization', // interpretation 3
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'Usage',
    key: 'usage',
    description: 'View usage dashboard and export',
    level: 'organization', // interpretation 3
    customRoleEligible: true, // interpretation 9
    actions: [{ action: 'read', grantedBy: ['org-owner'] }],
  },
  {
    area: 'External Keys',
    key: 'external_key',
    description: 'View and manage keys for Enterprise Key Management',
    level: 'organization', // interpretation 3
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'IP allowlist',
    key: 'ip_allowlist',
    description: 'View and manage IP allowlist',
    level: 'organization', // interpretation 3
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'mTLS',
    key: 'mtls',
    description: 'View and manage mutual TLS settings',
    level: 'organization', // interpretation 3
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'OIDC',
    key: 'oidc',
    description: 'View and manage OIDC configuration',
    level: 'organization', // interpretation 3
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'Model capabilities',
    // Not `model`: that key is List models' (api.model.read), and each area needs its own key.
    key: 'model_capability',
    description: 'Make requests to chat completions, audio, embeddings, and images',
    level: 'project',
    customRoleEligible: true, // interpretation 8
    actions: [
      // Four "Request" cells; the empty column is Project viewer: interpretation 4.
      { action: 'request', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Assistants',
    key: 'assistant',
    description: 'Create and retrieve Assistants',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Threads',
    key: 'thread',
    description: 'Create and retrieve Threads/Messages/Runs',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Evals',
    key: 'eval',
    description: 'Create, retrieve, and delete Evals',
    level: 'project',
    customRoleEligible: true, // interpretation 8
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Fine-tuning',
    key: 'fine_tuning',
    description: 'Create and retrieve fine tuning jobs',
    level: 'project',
    customRoleEligible: true, // interpretation 8
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Files',
    key: 'file',
    description: 'Create and retrieve files',
    level: 'project',
    customRoleEligible: true, // interpretation 8
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Vector Stores',
    key: 'vector_store',
    description: 'Create and retrieve vector stores',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      // Four "Read, Write" cells; the empty column is Project viewer: interpretation 5.
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Responses API',
    key: 'response',
    description: 'Create responses',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      // Four "Read, Write" cells; the empty column is Project viewer: interpretation 5.
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Prompts',
    key: 'prompt',
    description: 'Create and retrieve prompts to use as context for Responses API and Realtime API',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Webhooks',
    key: 'webhook',
    description: 'Create and view webhooks in your project',
    level: 'project',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Datasets',
    key: 'dataset',
    description: 'Create and retrieve Datasets',
    level: 'project',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    // Not in the damaged copy: added to the table later (seed 002's change log): interpretation 10.
    area: 'Apps',
    key: 'app',
    description: 'Create, manage, and submit apps for review in the Dashboard',
    level: 'organization',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'write', grantedBy: ['org-owner'] },
    ],
  },
  {
    // Not in the damaged copy: added to the table later (seed 002's change log): interpretation 10.
    area: 'Tunnels',
    key: 'tunnel',
    description: 'Inspect, use, and manage organization-scoped tunnels',
    level: 'organization',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner'] },
      { action: 'use', grantedBy: ['org-owner'] },
      { action: 'manage', grantedBy: ['org-owner'] },
    ],
  },
  {
    area: 'Project API Keys',
    key: 'project_api_key',
    description: 'Permission for a user to manage their own API keys',
    level: 'project',
    customRoleEligible: true,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Project Administration',
    key: 'project_administration',
    description: 'Manage project users, service accounts, API keys, and rate limits via management API',
    level: 'project',
    customRoleEligible: false,
    actions: [
      // Two "Read, Write" cells; seed 002 shows this row intact: interpretation 7.
      { action: 'read', grantedBy: ['org-owner', 'project-owner'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner'] },
    ],
  },
  {
    area: 'Batch',
    key: 'batch',
    description: 'Create and manage batch jobs',
    level: 'project',
    customRoleEligible: false,
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Service Accounts',
    key: 'service_account',
    description: 'View and manage project service accounts',
    level: 'project',
    customRoleEligible: false, // interpretation 9
    actions: [
      // Two "Read, Write" cells, read as Project Administration's columns: interpretation 6.
      { action: 'read', grantedBy: ['org-owner', 'project-owner'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner'] },
    ],
  },
  {
    area: 'Videos',
    key: 'video',
    description: 'Create and retrieve videos',
    level: 'project',
    customRoleEligible: false, // interpretation 9
    actions: [
      // Four "Read, Write" cells; the empty column is Project viewer: interpretation 5.
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Voices',
    key: 'voice',
    description: 'Create and retrieve voices',
    level: 'project',
    customRoleEligible: false, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member'] },
    ],
  },
  {
    area: 'Agent Builder',
    key: 'agent_builder',
    description: 'Create and manage agents and workflows in Agent Builder',
    level: 'project',
    customRoleEligible: true, // interpretation 9
    actions: [
      { action: 'read', grantedBy: ['org-owner', 'org-reader', 'project-owner', 'project-member', 'project-viewer'] },
      { action: 'write', grantedBy: ['org-owner', 'project-owner', 'project-member'] },
    ],
  },
] as const satisfies readonly CatalogArea[];
