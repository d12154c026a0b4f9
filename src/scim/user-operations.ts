import type { UserService, UserWrite } from '../directory/user.service';
import type { UserDoc } from '../directory/models';
import type { UserAttributes } from '../directory/user-attributes';
import { matchesIfNoneMatch, etagOf } from '../directory/etag';
import { applyPatch } from './apply-patch';
import { checkUserLimits } from './attribute-limits';
import { USER_FILTER_ATTRIBUTES } from './filter-to-query';
import { toListOptions, type ListRequest } from './list-request';
import { listResult } from './list-response';
import { normalizeUser } from './normalize-resource';
import { isRequested, project, type Projection } from './projection';
import type { ScimRequestContext, ScimResult } from './result';
import { toScimUser, userLocation } from './serialize';

export type UserOperations = ReturnType<typeof createUserOperations>;

export function createUserOperations(deps: { users: UserService }) {
  const { users } = deps;

  async function render(ctx: ScimRequestContext, id: string, projection: Projection = {}) {
    const doc = await users.read(ctx, id);
    const groups = isRequested(projection, 'groups') ? await users.groupsOf(ctx, id) : undefined;
    return { doc, body: project(toScimUser(doc, ctx.baseUrl, groups), projection) };
  }

  async function get(ctx: ScimRequestContext, id: string, projection: Projection): Promise<ScimResult> {
    const { doc, body } = await render(ctx, id, projection);
    if (matchesIfNoneMatch(ctx.ifNoneMatch, doc.version)) return { status: 304, etag: etagOf(doc.version) };
    return { status: 200, body, etag: etagOf(doc.version) };
  }

  async function list(ctx: ScimRequestContext, req: ListRequest): Promise<ScimResult> {
    const { total, users: docs } = await users.list(ctx, toListOptions(req, USER_FILTER_ATTRIBUTES));
    // `groups` costs two reads per user, so list responses carry it only when asked for by name.
    const wantsGroups = req.attributes?.some((a) => /(^|:)groups(\.|$)/i.test(a)) ?? false;
    return listResult({ total, docs }, req.startIndex, async (doc) => {
      const groups = wantsGroups ? await users.groupsOf(ctx, doc._id) : undefined;
      return project(toScimUser(doc, ctx.baseUrl, groups), req);
    });
  }

  async function create(ctx: ScimRequestContext, body: unknown): Promise<ScimResult> {
    const attrs = checkUserLimits(normalizeUser(body, { provider: ctx.provider }) as UserAttributes);
    const { user, changeIds } = await users.create(ctx, attrs);
    return {
      audit: { action: 'scim.user.created', target: targetOf(user), summary: { after: summaryOf(user) } },
      status: 201,
      body: toScimUser(user, ctx.baseUrl),
      location: userLocation(ctx.baseUrl, user._id),
      etag: etagOf(user.version),
      changeIds,
    };
  }

  async function replace(ctx: ScimRequestContext, id: string, body: unknown): Promise<ScimResult> {
    const attrs = checkUserLimits(normalizeUser(body, { provider: ctx.provider }) as UserAttributes);
    const w = await users.replace(ctx, id, attrs, ctx.ifMatch);
    const { user, changeIds } = w;
    const groups = await users.groupsOf(ctx, id);
    return {
      audit: auditOfUpdate('scim.user.replaced', w),
      status: 200, body: toScimUser(user, ctx.baseUrl, groups), etag: etagOf(user.version), changeIds };
  }

  async function patch(ctx: ScimRequestContext, id: string, body: unknown): Promise<ScimResult> {
    const w = await users.update(
      ctx,
      id,
      // Checked on the patched result, the state about to be stored, whichever operations led to it.
      (current) => checkUserLimits(applyPatch(current, body, { schema: 'User', provider: ctx.provider }) as UserAttributes),
      ctx.ifMatch,
    );
    const { user, changeIds } = w;
    const groups = await users.groupsOf(ctx, id);
    return {
      audit: auditOfUpdate('scim.user.patched', w),
      status: 200, body: toScimUser(user, ctx.baseUrl, groups), etag: etagOf(user.version), changeIds };
  }

  async function remove(ctx: ScimRequestContext, id: string): Promise<ScimResult> {
    const { changeIds } = await users.remove(ctx, id, ctx.ifMatch);
    return { status: 204, changeIds, audit: { action: 'scim.user.deleted', target: { type: 'user', id }, summary: {} } };
  }

  return { get, list, create, replace, patch, remove };
}

const targetOf = (u: UserDoc) => ({ type: 'user', id: u._id, display: u.userName });
/** The fields an auditor asks about; other attributes are named, not copied (they are personal data). */
const summaryOf = (u: UserDoc) => ({ userName: u.userName, active: u.active, externalId: u.externalId });

function auditOfUpdate(action: string, w: UserWrite): ScimResult['audit'] {
  if (!w.modified || !w.before) return undefined;
  const before = w.before;
  const changed = [...new Set([...Object.keys(before), ...Object.keys(w.user)])].filter(
    (k) => !['version', 'lastModifiedAt', 'passwordHash'].includes(k) && JSON.stringify(before[k]) !== JSON.stringify(w.user[k]),
  );
  const deactivated = before.active && !w.user.active;
  const reactivated = !before.active && w.user.active;
  return {
    action: deactivated ? 'scim.user.deactivated' : reactivated ? 'scim.user.reactivated' : action,
    target: targetOf(w.user),
    summary: { before: summaryOf(before), after: summaryOf(w.user), changedAttributes: changed },
  };
}
