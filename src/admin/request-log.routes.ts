import { z } from 'zod';
import type { RequestLogEntryDoc } from '../directory/request-log.model';
import type { RequestLog } from '../directory/request-log.service';
import type { TenancyService } from '../directory/tenancy.service';
import { NotFound } from '../shared/errors';
import type { RouteKit } from './router';

// The SCIM request log for the console: a directory's requests, newest first and paged by cursor, one
// request with its (masked) bodies, and each directory's last request and error rate for the overview.

export interface RequestLogRouteDeps {
  tenancy: Pick<TenancyService, 'getDirectory'>;
  /** Null when the log is turned off (SCIM_REQUEST_LOG_DAYS=0): the routes answer empty lists. */
  requestLog: Pick<RequestLog, 'list' | 'get' | 'summaries'> | null;
}

const READ = 'api.organization_admin.read';

export const requestListQuery = z
  .object({
    status: z
      .string()
      .regex(/^([1-5]xx|[1-5]\d\d)$/, 'must be a status class (2xx, 4xx, 5xx) or a status code such as 409')
      .optional(),
    resource: z.enum(['Users', 'Groups', 'Bulk', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig', 'Me', '.search', 'other']).optional(),
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const summaryQuery = z.object({ minutes: z.coerce.number().int().min(1).max(60).default(15) }).strict();

function presentRow(e: RequestLogEntryDoc) {
  return {
    requestId: e.requestId,
    seq: e.seq,
    at: e.at,
    method: e.method,
    path: e.path,
    resource: e.resource,
    status: e.status,
    statusClass: e.statusClass,
    latencyMs: e.latencyMs,
    userAgent: e.userAgent,
    reason: e.failure?.reason ?? null,
  };
}

function presentEntry(e: RequestLogEntryDoc) {
  return {
    ...presentRow(e),
    directoryId: e.directoryId,
    failure: e.failure ? { detail: e.failure.detail ?? null, scimType: e.failure.scimType ?? null, reason: e.failure.reason } : null,
    request: { body: e.request.text ?? null, chars: e.request.chars ?? 0, isTruncated: Boolean(e.request.isTruncated) },
    response: { body: e.response.text ?? null, chars: e.response.chars ?? 0, isTruncated: Boolean(e.response.isTruncated) },
  };
}

export function requestLogRoutes(deps: RequestLogRouteDeps): (kit: RouteKit) => void {
  return ({ router, route, orgOf, param }) => {
    // The directory must be the caller's: another organization's id answers 404 like a missing one.
    const directoryOf = async (orgId: string, id: string) => (await deps.tenancy.getDirectory(id, orgId))._id;

    router.get('/orgs/:org/directories/:id/requests', route(READ, async (req, res, q) => {
      const directoryId = await directoryOf(orgOf(res), param(req, 'id'));
      if (!deps.requestLog) return { requests: [], nextCursor: null };
      const page = await deps.requestLog.list(orgOf(res), directoryId, q);
      return { requests: page.entries.map(presentRow), nextCursor: page.nextCursor };
    }, requestListQuery));

    router.get('/orgs/:org/directories/:id/requests/:requestId', route(READ, async (req, res) => {
      const directoryId = await directoryOf(orgOf(res), param(req, 'id'));
      const entry = await deps.requestLog?.get(orgOf(res), directoryId, param(req, 'requestId'));
      if (!entry) throw new NotFound(`request ${param(req, 'requestId')} in this directory's log`);
      return presentEntry(entry);
    }));

    router.get('/orgs/:org/request-summaries', route(READ, async (_req, res, q) => ({
      minutes: q.minutes,
      directories: deps.requestLog ? await deps.requestLog.summaries(orgOf(res), q.minutes) : [],
    }), summaryQuery));
  };
}
