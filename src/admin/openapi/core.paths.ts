import * as input from '../inputs';
import * as s from './shapes';
import { arrayOf, obj, type RouteDoc } from './schema-kit';

// The core admin routes of src/admin/router.ts: catalog, organization, projects, policies, roles,
// bindings, service accounts, API keys, directories and their SCIM tokens.

const PROJ_R = 'api.project_administration.read';
const PROJ_W = 'api.project_administration.write';
const ROLE_R = 'api.role.read';
const ROLE_W = 'api.role.write';
const SA_R = 'api.service_account.read';
const SA_W = 'api.service_account.write';
const KEY_R = 'api.project_api_key.read';
const KEY_W = 'api.project_api_key.write';
const ORG_R = 'api.organization_admin.read';
const ORG_W = 'api.organization_admin.write';

export const coreRoutes: RouteDoc[] = [
  { tag: 'Catalog', method: 'get', path: '/permissions', summary: 'The permission catalog', permission: null, status: 200, response: obj({ permissions: arrayOf(s.permission) }) },
  { tag: 'Catalog', method: 'get', path: '/preset-roles', summary: 'The preset roles', permission: null, status: 200, response: obj({ roles: arrayOf(s.presetRoleEntry) }) },
  { tag: 'Organization', method: 'get', path: '/orgs/:org', summary: 'The organization', permission: null, status: 200, response: s.organization },

  { tag: 'Projects', method: 'post', path: '/orgs/:org/projects', summary: 'Create a project', permission: PROJ_W, body: input.projectCreate, status: 201, response: s.project, changeIdHeader: true },
  { tag: 'Projects', method: 'get', path: '/orgs/:org/projects', summary: 'List projects', permission: PROJ_R, query: input.projectListQuery, status: 200, response: obj({ projects: arrayOf(s.project) }) },
  { tag: 'Projects', method: 'get', path: '/orgs/:org/projects/:id', summary: 'Read a project', permission: PROJ_R, status: 200, response: s.project },
  { tag: 'Projects', method: 'patch', path: '/orgs/:org/projects/:id', summary: 'Rename or archive a project', permission: PROJ_W, body: input.projectUpdate, status: 200, response: s.project, changeIdHeader: true },

  { tag: 'Policies', method: 'post', path: '/orgs/:org/policies', summary: 'Create a policy', permission: ROLE_W, body: input.policyCreate, status: 201, response: s.policy },
  { tag: 'Policies', method: 'get', path: '/orgs/:org/policies', summary: 'List policies', permission: ROLE_R, status: 200, response: obj({ policies: arrayOf(s.policy) }) },
  { tag: 'Policies', method: 'get', path: '/orgs/:org/policies/:id', summary: 'Read a policy', permission: ROLE_R, status: 200, response: s.policy },
  { tag: 'Policies', method: 'patch', path: '/orgs/:org/policies/:id', summary: 'Update a policy', permission: ROLE_W, body: input.policyUpdate, status: 200, response: s.policy, changeIdHeader: true },
  { tag: 'Policies', method: 'delete', path: '/orgs/:org/policies/:id', summary: 'Delete a policy', permission: ROLE_W, status: 204, changeIdHeader: true },

  { tag: 'Roles', method: 'post', path: '/orgs/:org/roles', summary: 'Create a custom role', permission: ROLE_W, body: input.roleCreate, status: 201, response: s.customRole },
  { tag: 'Roles', method: 'get', path: '/orgs/:org/roles', summary: 'List preset and custom roles', permission: ROLE_R, status: 200, response: obj({ roles: arrayOf(s.role) }) },
  { tag: 'Roles', method: 'get', path: '/orgs/:org/roles/:id', summary: 'Read a role (preset ids start with preset:)', permission: ROLE_R, status: 200, response: s.role },
  { tag: 'Roles', method: 'patch', path: '/orgs/:org/roles/:id', summary: 'Update a custom role', permission: ROLE_W, body: input.roleUpdate, status: 200, response: s.customRole, changeIdHeader: true },
  { tag: 'Roles', method: 'delete', path: '/orgs/:org/roles/:id', summary: 'Delete a custom role', permission: ROLE_W, status: 204, changeIdHeader: true },

  // An existing identical binding answers 200 with it; a new one 201.
  { tag: 'Bindings', method: 'post', path: '/orgs/:org/bindings', summary: 'Bind a role to a user, group or service account', permission: ROLE_W, body: input.bindingCreate, status: 201, response: s.binding, changeIdHeader: true },
  { tag: 'Bindings', method: 'get', path: '/orgs/:org/bindings', summary: 'List bindings', permission: ROLE_R, query: input.bindingListQuery, status: 200, response: obj({ bindings: arrayOf(s.binding) }) },
  { tag: 'Bindings', method: 'get', path: '/orgs/:org/bindings/:id', summary: 'Read a binding', permission: ROLE_R, status: 200, response: s.binding },
  { tag: 'Bindings', method: 'delete', path: '/orgs/:org/bindings/:id', summary: 'Delete a binding', permission: ROLE_W, status: 204, changeIdHeader: true },

  { tag: 'Service accounts', method: 'post', path: '/orgs/:org/projects/:project/service-accounts', summary: 'Create a service account in a project', permission: SA_W, body: input.serviceAccountCreate, status: 201, response: s.serviceAccount },
  { tag: 'Service accounts', method: 'get', path: '/orgs/:org/projects/:project/service-accounts', summary: "List a project's service accounts", permission: SA_R, status: 200, response: obj({ serviceAccounts: arrayOf(s.serviceAccount) }) },
  { tag: 'Service accounts', method: 'delete', path: '/orgs/:org/service-accounts/:id', summary: 'Delete a service account', permission: SA_W, status: 204, changeIdHeader: true },

  { tag: 'API keys', method: 'post', path: '/orgs/:org/api-keys', summary: 'Create a project API key (the secret is shown only here)', permission: KEY_W, body: input.apiKeyCreate, status: 201, response: s.apiKeyCreated },
  { tag: 'API keys', method: 'get', path: '/orgs/:org/api-keys', summary: 'List API keys', permission: KEY_R, query: input.apiKeyListQuery, status: 200, response: obj({ apiKeys: arrayOf(s.apiKey) }) },
  { tag: 'API keys', method: 'get', path: '/orgs/:org/api-keys/:id', summary: 'Read an API key', permission: KEY_R, status: 200, response: s.apiKey },
  { tag: 'API keys', method: 'post', path: '/orgs/:org/api-keys/:id/revoke', summary: 'Revoke an API key', permission: KEY_W, status: 200, response: s.apiKey },

  { tag: 'Directories', method: 'post', path: '/orgs/:org/directories', summary: 'Create a SCIM directory (its first token is shown only here)', permission: ORG_W, body: input.directoryCreate, status: 201, response: s.directoryCreated },
  { tag: 'Directories', method: 'get', path: '/orgs/:org/directories', summary: 'List directories', permission: ORG_R, status: 200, response: obj({ directories: arrayOf(s.directory) }) },
  { tag: 'Directories', method: 'post', path: '/orgs/:org/directories/:id/tokens', summary: 'Issue another SCIM token (older ones keep working until revoked)', permission: ORG_W, status: 201, response: s.tokenIssued },
  { tag: 'Directories', method: 'get', path: '/orgs/:org/directories/:id/tokens', summary: "List a directory's SCIM tokens (hints, never secrets)", permission: ORG_R, status: 200, response: obj({ tokens: arrayOf(s.tokenEntry) }) },
  { tag: 'Directories', method: 'delete', path: '/orgs/:org/directories/:id/tokens/:tokenId', summary: 'Revoke a SCIM token', permission: ORG_W, status: 204 },
];
