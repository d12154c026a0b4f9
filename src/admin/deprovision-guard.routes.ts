import { z } from 'zod';
import type { DirectoryContext } from '../directory/context';
import type { DeprovisionGuard } from '../directory/deprovision-guard';
import type { DeprovisionStaging, StagedUser } from '../directory/deprovision-guard-staging';
import type { TenancyService } from '../directory/tenancy.service';
import type { RouteKit } from './router';

// The mass-deprovisioning safety valve in the admin API: a directory's threshold, and its held (staged) users.

export interface DeprovisionGuardRoutesDeps {
  tenancy: Pick<TenancyService, 'getDirectory'>;
  guard: Pick<DeprovisionGuard, 'settingsOf' | 'updateSettings'>;
  staging: DeprovisionStaging;
}

const READ = 'api.organization_admin.read';
const WRITE = 'api.organization_admin.write';

export const guardPatch = z
  .object({
    enabled: z.boolean(),
    percent: z.number().min(1).max(100),
    count: z.number().int().min(1).max(1_000_000),
    windowMinutes: z.number().int().min(1).max(24 * 60),
  })
  .partial()
  .strict();

export const selection = z
  .object({ userIds: z.array(z.string().min(1).max(200)).min(1).max(10_000) })
  .partial()
  .strict();

function presentStaged(u: StagedUser) {
  return { userId: u.userId, userName: u.userName, kind: u.kind, heldAt: u.heldAt, changeIds: u.changeIds, requestId: u.requestId };
}

export function deprovisionGuardRoutes(deps: DeprovisionGuardRoutesDeps): (kit: RouteKit) => void {
  return ({ router, route, orgOf, param, ctxOf }) => {
    const contextOf = async (orgId: string, directoryId: string): Promise<DirectoryContext> => {
      const dir = await deps.tenancy.getDirectory(directoryId, orgId);
      return { orgId, directoryId: dir._id, provider: dir.provider };
    };

    router.get('/orgs/:org/directories/:id/deprovision-guard', route(READ, async (req, res) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      return deps.guard.settingsOf(ctx.orgId, ctx.directoryId);
    }));

    router.patch('/orgs/:org/directories/:id/deprovision-guard', route(WRITE, async (req, res) => {
      const patch = guardPatch.parse(req.body ?? {});
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      return deps.guard.updateSettings(ctx.orgId, ctx.directoryId, patch);
    }));

    router.get('/orgs/:org/staged', route(READ, async (_req, res) => ({ directories: await deps.staging.countsOf(orgOf(res)) })));

    router.get('/orgs/:org/directories/:id/staged', route(READ, async (req, res) => {
      const ctx = await contextOf(orgOf(res), param(req, 'id'));
      const users = await deps.staging.list(ctx);
      return { directoryId: ctx.directoryId, total: users.length, users: users.map(presentStaged) };
    }));

    for (const action of ['approve', 'discard'] as const) {
      router.post(`/orgs/:org/directories/:id/staged/${action}`, route(WRITE, async (req, res) => {
        const body = selection.parse(req.body ?? {});
        const ctx = await contextOf(orgOf(res), param(req, 'id'));
        const admin = ctxOf(req, res);
        const out = await deps.staging[action]({ ...ctx, requestId: admin.requestId }, { id: admin.actor.id, name: admin.actor.name }, body.userIds);
        return { [action === 'approve' ? 'approved' : 'discarded']: out.userIds, moot: out.moot, notRestored: out.notRestored };
      }));
    }
  };
}
