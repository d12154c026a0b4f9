import type { DirectoryContext } from '../directory/context';
import type { UserDoc } from '../directory/models';
import type { TenancyService } from '../directory/tenancy.service';
import { attributesOfUser } from '../directory/user-attributes';
import type { UserService } from '../directory/user.service';
import { NotFound } from '../shared/errors';
import type { RouteKit } from './router';
import { userListQuery, userSearchQuery } from './user-search';

// What the console browses in a directory: its users, paged on the server, and one user as the IdP sent it.

export interface DirectoryBrowseDeps {
  tenancy: Pick<TenancyService, 'getDirectory'>;
  users: Pick<UserService, 'list' | 'read' | 'groupsOf'>;
}

const READ = 'api.organization_admin.read';

function presentUserRow(u: UserDoc) {
  const name = u.name as { formatted?: string; givenName?: string; familyName?: string } | undefined;
  const emails = (u.emails as Array<{ value?: string; primary?: boolean }> | undefined) ?? [];
  return {
    id: u._id,
    userName: u.userName,
    displayName: (u.displayName as string | undefined) ?? (name?.formatted || [name?.givenName, name?.familyName].filter(Boolean).join(' ') || null),
    email: (emails.find((e) => e.primary) ?? emails[0])?.value ?? null,
    externalId: u.externalId ?? null,
    active: u.active,
    createdAt: u.createdAt,
    lastModifiedAt: u.lastModifiedAt,
  };
}

export function directoryBrowseRoutes(deps: DirectoryBrowseDeps): (kit: RouteKit) => void {
  return ({ router, route, orgOf, param }) => {
    const contextOf = async (orgId: string, directoryId: string): Promise<DirectoryContext> => {
      const dir = await deps.tenancy.getDirectory(directoryId, orgId);
      return { orgId, directoryId: dir._id, provider: dir.provider };
    };

    router.get('/orgs/:org/directories/:id/users', route(READ, async (req, res, q) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      const page = await deps.users.list(ctx, { query: userSearchQuery(q.search), skip: q.startIndex - 1, limit: q.count });
      return { total: page.total, startIndex: q.startIndex, count: q.count, users: page.users.map(presentUserRow) };
    }, userListQuery));

    router.get('/orgs/:org/directories/:id/users/:userId', route(READ, async (req, res) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      const user = await deps.users.read(ctx, param(req, 'userId')).catch((err: unknown) => {
        throw err instanceof NotFound ? new NotFound(`user ${param(req, 'userId')} in this directory`) : err;
      });
      return {
        ...presentUserRow(user),
        directoryId: ctx.directoryId,
        // The attributes as stored from the IdP's requests, without our bookkeeping or the password hash.
        attributes: attributesOfUser(user),
        groups: await deps.users.groupsOf(ctx, user._id),
      };
    }));
  };
}
