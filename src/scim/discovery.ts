import { NotFound } from '../shared/errors';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schemas';
import { listResponse } from './list-response';
import { ENTERPRISE_URN, GROUP_URN, USER_URN } from './urns';

export interface DiscoveryLimits {
  maxResults: number;
  bulkMaxOperations: number;
  maxPayloadBytes: number;
}

const SPC_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** What we really support, no more (RFC 7643 section 5): IdPs decide how to talk to us from this. */
export function serviceProviderConfig(baseUrl: string, limits: DiscoveryLimits) {
  return {
    schemas: [SPC_URN],
    documentationUri: 'https://github.com/scim-sync/scim-sync#readme',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.maxPayloadBytes },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A per-directory bearer token in the Authorization header (RFC 6750).',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: [RESOURCE_TYPE_URN],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_URN,
      schemaExtensions: [{ schema: ENTERPRISE_URN, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_URN],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_URN,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

function schemas(baseUrl: string) {
  return [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA].map((s) => ({
    schemas: [SCHEMA_URN],
    ...s,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  }));
}

/** Discovery lists are short and fixed: always the whole list, as one page. */
const listOf = (resources: unknown[]) => listResponse(resources, resources.length, 1);

export const listResourceTypes = (baseUrl: string) => listOf(resourceTypes(baseUrl));
export const listSchemas = (baseUrl: string) => listOf(schemas(baseUrl));

export function getResourceType(baseUrl: string, id: string) {
  const found = resourceTypes(baseUrl).find((r) => r.id.toLowerCase() === id.toLowerCase());
  if (!found) throw new NotFound(`ResourceType ${id}`);
  return found;
}

export function getSchema(baseUrl: string, id: string) {
  const found = schemas(baseUrl).find((s) => s.id.toLowerCase() === id.toLowerCase());
  if (!found) throw new NotFound(`Schema ${id}`);
  return found;
}
