import type { GroupService, GroupAttributes, GroupWrite, MemberDelta, MemberRef } from '../directory/group.service';
import { etagOf, matchesIfNoneMatch } from '../directory/etag';
import { applyPatch } from './apply-patch';
import { filterToQuery, GROUP_FILTER_ATTRIBUTES, sortFieldFor } from './filter-to-query';
import { splitGroupPatch } from './group-member-patch';
import type { ListRequest } from './list-request';
import { normalizeGroup } from './normalize-resource';
import { isRequested, project, type Projection } from './projection';
import type { ScimRequestContext, ScimResult } from './result';
import { groupLocation, toScimGroup } from './serialize';
import { LIST_RESPONSE_URN } from './urns';

export type GroupOperations = ReturnType<typeof createGroupOperations>;

/** Members are a separate collection; they are read only when the response will show them. */
export function createGroupOperations(deps: { groups: GroupService }) {
  const { groups } = deps;

  async function get(ctx: ScimRequestContext, id: string, projection: Projection): Promise<ScimResult> {
    const doc = await groups.get(ctx, id);
    if (matchesIfNoneMatch(ctx.ifNoneMatch, doc.version)) return { status: 304, etag: etagOf(doc.version) };
    const members = isRequested(projection, 'members') ? await groups.membersOf(ctx, id) : undefined;
    return { status: 200, body: project(toScimGroup(doc, ctx.baseUrl, members), projection), etag: etagOf(doc.version) };
  }

  async function list(ctx: ScimRequestContext, req: ListRequest): Promise<ScimResult> {
    const query = req.filter ? filterToQuery(req.filter, GROUP_FILTER_ATTRIBUTES) : {};
    const sort = req.sortBy
      ? { [sortFieldFor(req.sortBy, GROUP_FILTER_ATTRIBUTES)]: req.sortOrder === 'descending' ? -1 : 1, _id: 1 as const }
      : undefined;
    const { total, groups: docs } = await groups.list(ctx, {
      query,
      sort: sort as Record<string, 1 | -1> | undefined,
      skip: req.startIndex - 1,
      limit: req.count,
    });
    const withMembers = isRequested(req, 'members');
    const resources = [];
    for (const doc of docs) {
      const members = withMembers ? await groups.membersOf(ctx, doc._id) : undefined;
      resources.push(project(toScimGroup(doc, ctx.baseUrl, members), req));
    }
    return {
      status: 200,
      body: {
        schemas: [LIST_RESPONSE_URN],
        totalResults: total,
        startIndex: req.startIndex,
        itemsPerPage: resources.length,
        Resources: resources,
      },
    };
  }

  async function create(ctx: ScimRequestContext, body: unknown): Promise<ScimResult> {
    const input = normalizeGroup(body, { provider: ctx.provider }) as unknown as GroupAttributes & { members?: MemberRef[] };
    const { members = [], ...attrs } = input;
    const { group, changeIds } = await groups.create(ctx, attrs, members);
    const audit = { action: 'scim.group.created', target: { type: 'group', id: group._id, display: group.displayName }, summary: { after: { displayName: group.displayName, members: members.length } } };
    const memberDocs = members.length ? await groups.membersOf(ctx, group._id) : [];
    return {
      status: 201,
      body: toScimGroup(group, ctx.baseUrl, memberDocs),
      location: groupLocation(ctx.baseUrl, group._id),
      audit,
      etag: etagOf(group.version),
      changeIds,
    };
  }

  /** PUT carries the authoritative member list (Okta pushes groups this way). */
  async function replace(ctx: ScimRequestContext, id: string, body: unknown): Promise<ScimResult> {
    const input = normalizeGroup(body, { provider: ctx.provider }) as unknown as GroupAttributes & { members?: MemberRef[] };
    const { members, ...attrs } = input;
    const delta = members === undefined ? { clear: false, add: [], remove: [] } : { clear: true, add: members, remove: [] };
    const w = await groups.update(ctx, id, () => attrs, delta, ctx.ifMatch);
    const { group, changeIds } = w;
    const memberDocs = await groups.membersOf(ctx, id);
    return { status: 200, body: toScimGroup(group, ctx.baseUrl, memberDocs), etag: etagOf(group.version), changeIds, audit: groupAudit('scim.group.replaced', w) };
  }

  /**
   * Member operations become a delta and never load the member list, so a PATCH of 1,000 members on a
   * 100,000-member group stays one quick request. The response omits members for the same reason
   * (RFC 7644 section 3.5.2 lets a server answer PATCH with 204; Okta and Entra accept a 200 body).
   */
  async function patch(ctx: ScimRequestContext, id: string, body: unknown, projection: Projection): Promise<ScimResult> {
    const { attributeBody, members } = splitGroupPatch(body, { provider: ctx.provider });
    const transform = attributeBody
      ? (current: GroupAttributes) =>
          applyPatch(current as unknown as Record<string, unknown>, attributeBody, {
            schema: 'Group',
            provider: ctx.provider,
          }) as unknown as GroupAttributes
      : null;
    const w = await groups.update(ctx, id, transform, members, ctx.ifMatch);
    const { group, changeIds } = w;
    const wantsMembers = projection.attributes?.some((a) => /(^|:)members(\.|$)/i.test(a)) ?? false;
    const memberDocs = wantsMembers ? await groups.membersOf(ctx, id) : undefined;
    return {
      status: 200,
      body: project(toScimGroup(group, ctx.baseUrl, memberDocs), projection),
      etag: etagOf(group.version),
      changeIds,
      audit: groupAudit('scim.group.patched', w, members),
    };
  }

  async function remove(ctx: ScimRequestContext, id: string): Promise<ScimResult> {
    const { changeIds } = await groups.remove(ctx, id, ctx.ifMatch);
    return { status: 204, changeIds, audit: { action: 'scim.group.deleted', target: { type: 'group', id }, summary: {} } };
  }

  return { get, list, create, replace, patch, remove };
}

function groupAudit(action: string, w: GroupWrite, delta?: MemberDelta): ScimResult['audit'] {
  if (!w.modified) return undefined;
  return {
    action,
    target: { type: 'group', id: w.group._id, display: w.group.displayName },
    summary: {
      after: { displayName: w.group.displayName, memberCount: w.group.memberCount },
      ...(delta ? { membersAdded: delta.add.length, membersRemoved: delta.remove.length, membersCleared: delta.clear } : {}),
    },
  };
}
