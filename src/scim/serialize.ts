import { attributesOfUser } from '../directory/user-attributes';
import { etagOf } from '../directory/etag';
import type { GroupDoc, MembershipDoc, UserDoc } from '../directory/models';
import { ENTERPRISE_URN, GROUP_URN, USER_URN } from './urns';

export function userLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Users/${id}`;
}

export function groupLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Groups/${id}`;
}

export function toScimUser(
  doc: UserDoc,
  baseUrl: string,
  groups?: Array<{ id: string; displayName: string }>,
): Record<string, unknown> {
  const attrs = attributesOfUser(doc);
  const schemas = [USER_URN];
  if (attrs[ENTERPRISE_URN] || doc.extensionSchemas?.includes(ENTERPRISE_URN)) schemas.push(ENTERPRISE_URN);
  const { userName, externalId, ...rest } = attrs;
  return {
    schemas,
    id: doc._id,
    ...(externalId !== undefined ? { externalId } : {}),
    userName,
    ...rest,
    ...(groups && groups.length
      ? {
          groups: groups.map((g) => ({
            value: g.id,
            $ref: groupLocation(baseUrl, g.id),
            display: g.displayName,
            type: 'direct',
          })),
        }
      : {}),
    meta: {
      resourceType: 'User',
      created: doc.createdAt.toISOString(),
      lastModified: doc.lastModifiedAt.toISOString(),
      location: userLocation(baseUrl, doc._id),
      version: etagOf(doc.version),
    },
  };
}

export function toScimGroup(doc: GroupDoc, baseUrl: string, members?: MembershipDoc[]): Record<string, unknown> {
  return {
    schemas: [GROUP_URN, ...(doc.extensionSchemas ?? [])],
    id: doc._id,
    ...(doc.externalId !== undefined && doc.externalId !== null ? { externalId: doc.externalId } : {}),
    displayName: doc.displayName,
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.memberId,
            $ref: m.memberType === 'Group' ? groupLocation(baseUrl, m.memberId) : userLocation(baseUrl, m.memberId),
            type: m.memberType,
            ...(m.display ? { display: m.display } : {}),
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: doc.createdAt.toISOString(),
      lastModified: doc.lastModifiedAt.toISOString(),
      location: groupLocation(baseUrl, doc._id),
      version: etagOf(doc.version),
    },
  };
}
