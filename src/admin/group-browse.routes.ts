import { z } from 'zod';
import type { DirectoryContext } from '../directory/context';
import type { GroupDoc, MembershipDoc } from '../directory/models';
import type { GroupService } from '../directory/group.service';
import type { TenancyService } from '../directory/tenancy.service';
import type { UserService } from '../directory/user.service';
import { NotFound } from '../shared/errors';
import { inParallel } from '../shared/in-parallel';
import { refuseLongIdParams } from './request-guards';
import type { RouteKit } from './router';

// What the console browses of a directory's groups: the groups, paged and searched on the server
// with their member counts, and one group's members a page at a time.

export interface GroupBrowseDeps {
  tenancy: Pick<TenancyService, 'getDirectory'>;
  groups: Pick<GroupService, 'list' | 'get' | 'membersOf'>;
  users: Pick<UserService, 'read'>;
}

const READ = 'api.organization_admin.read';

export const pageQuery = z
  .object({
    search: z.string().trim().max(200).optional(),
    startIndex: z.coerce.number().int().min(1).default(1),
    count: z.coerce.number().int().min(1).max(200).default(25),
  })
  .strict();
export const memberPageQuery = pageQuery.omit({ search: true });

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One search box: part of the display name (displayNameKey is lower-cased: no /i needed), or an exact externalId. */
function groupSearchQuery(search: string | undefined): Record<string, unknown> {
  if (!search) return {};
  return { $or: [{ displayNameKey: new RegExp(escapeRegex(search.toLowerCase())) }, { externalId: search }] };
}

const presentGroupRow = (g: GroupDoc) => ({
  id: g._id,
  displayName: g.displayName,
  externalId: g.externalId ?? null,
  memberCount: g.memberCount ?? 0,
  createdAt: g.createdAt,
  lastModifiedAt: g.lastModifiedAt,
});

export function groupBrowseRoutes(deps: GroupBrowseDeps): (kit: RouteKit) => void {
  return ({ router, route, orgOf, param }) => {
    refuseLongIdParams(router, ['groupId']);
    const contextOf = async (orgId: string, directoryId: string): Promise<DirectoryContext> => {
      const dir = await deps.tenancy.getDirectory(directoryId, orgId);
      return { orgId, directoryId: dir._id, provider: dir.provider };
    };
    const groupOf = (ctx: DirectoryContext, groupId: string) =>
      deps.groups.get(ctx, groupId).catch((err: unknown) => {
        throw err instanceof NotFound ? new NotFound(`group ${groupId} in this directory`) : err;
      });

    router.get('/orgs/:org/directories/:id/groups', route(READ, async (req, res, q) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      const page = await deps.groups.list(ctx, { query: groupSearchQuery(q.search), skip: q.startIndex - 1, limit: q.count });
      return { total: page.total, startIndex: q.startIndex, count: q.count, groups: page.groups.map(presentGroupRow) };
    }, pageQuery));

    router.get('/orgs/:org/directories/:id/groups/:groupId', route(READ, async (req, res) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      return { ...presentGroupRow(await groupOf(ctx, param(req, 'groupId'))), directoryId: ctx.directoryId };
    }));

    router.get('/orgs/:org/directories/:id/groups/:groupId/members', route(READ, async (req, res, q) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      const group = await groupOf(ctx, param(req, 'groupId'));
      // The group's memberships in their stable order (one read bounded by the group), then the page's
      // users read one by one: a page of 25 never reads the other members' user documents.
      const all = await deps.groups.membersOf(ctx, group._id);
      const page = all.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
      const members = await inParallel(page, 4, (m: MembershipDoc) => presentMember(ctx, m));
      return { total: all.length, startIndex: q.startIndex, count: q.count, members };
    }, memberPageQuery));

    async function presentMember(ctx: DirectoryContext, m: MembershipDoc) {
      if (m.memberType === 'Group') {
        const g = await deps.groups.get(ctx, m.memberId).catch(() => null);
        return { type: 'group' as const, id: m.memberId, display: g?.displayName ?? m.display ?? m.memberId, active: null };
      }
      const u = await deps.users.read(ctx, m.memberId).catch(() => null);
      return { type: 'user' as const, id: m.memberId, display: u?.userName ?? m.display ?? m.memberId, active: u?.active ?? null };
    }
  };
}
