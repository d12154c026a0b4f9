import type { GroupService, GroupAttributes, GroupWrite, MemberDelta, MemberRef } from '../directory/group.service';
import { etagOf, matchesIfNoneMatch } from '../directory/etag';
import { applyPatch } from './apply-patch';
import { checkGroupLimits, checkMemberDelta } from './attribute-limits';
import { GROUP_FILTER_ATTRIBUTES } from './filter-to-query';
import { splitGroupPatch } from './group-member-patch';
import { toListOptions, type ListRequest } from './list-request';
import { listResult } from './list-response';
import { normalizeGroup } from './normalize-resource';
import { isRequested, project, type Projection } from './projection';
import type { ScimRequestContext, ScimResult } from './result';
import { groupLocation, toScimGroup } from './serialize';

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
    const { total, groups: docs } = await groups.list(ctx, toListOptions(req, GROUP_FILTER_ATTRIBUTES));
    const withMembers = isRequested(req, 'members');
    return listResult({ total, docs }, req.startIndex, async (doc) => {
      const members = withMembers ? await groups.membersOf(ctx, doc._id) : undefined;
      return project(toScimGroup(doc, ctx.baseUrl, members), req);
    });
  }

  async function create(ctx: ScimRequestContext, body: unknown): Promise<ScimResult> {
    const input = checkGroupLimits(normalizeGroup(body, { provider: ctx.provider }) as unknown as GroupAttributes & { members?: MemberRef[] });
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
    const input = checkGroupLimits(normalizeGroup(body, { provider: ctx.provider }) as unknown as GroupAttributes & { members?: MemberRef[] });
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
    checkMemberDelta(members);
    const transform = attributeBody
      ? (current: GroupAttributes) =>
          checkGroupLimits(
            applyPatch(current as unknown as Record<string, unknown>, attributeBody, {
              schema: 'Group',
              provider: ctx.provider,
            }) as unknown as GroupAttributes,
          )
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
