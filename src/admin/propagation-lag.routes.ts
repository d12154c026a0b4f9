import { z } from 'zod';
import type { createLagByMinute } from '../propagation/lag-by-minute';
import type { RouteKit } from './router';

// GET /orgs/:org/propagation/lag?minutes=60: lag p50/p99 per minute, the overview's chart against the 1 s goal.

export const lagQuery = z.object({ minutes: z.coerce.number().int().min(1).max(60).default(60) }).strict();

export function propagationLagRoutes(deps: { lag: ReturnType<typeof createLagByMinute> }): (kit: RouteKit) => void {
  return ({ router, route, orgOf }) => {
    // Like GET /orgs/:org/propagation, readable by any key of the organization: lag figures name nobody.
    router.get('/orgs/:org/propagation/lag', route(null, async (_req, res, q) => ({
      goalMs: 1000,
      ...(await deps.lag.lastMinutes(orgOf(res), q.minutes)),
    }), lagQuery));
  };
}
