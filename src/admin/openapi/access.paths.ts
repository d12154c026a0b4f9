import * as input from '../inputs';
import { lagQuery } from '../propagation-lag.routes';
import { signIn } from '../session.routes';
import * as s from './shapes';
import { arrayOf, obj, type RouteDoc } from './schema-kit';

// Access checks (the hot path), audit, propagation tracking, and the console's session.

const ORG_R = 'api.organization_admin.read';
const ORG_W = 'api.organization_admin.write';

export const accessRoutes: RouteDoc[] = [
  { tag: 'Session', method: 'post', path: '/session', summary: 'Exchange an admin key for a console session (sets the session cookie)', permission: null, auth: 'none', body: signIn, status: 201, response: s.session },
  { tag: 'Session', method: 'get', path: '/session', summary: 'The current console session (cookie only)', permission: null, auth: 'session', status: 200, response: s.session },
  { tag: 'Session', method: 'delete', path: '/session', summary: 'Sign out (cookie only)', permission: null, auth: 'session', status: 204 },

  { tag: 'Access', method: 'post', path: '/access/check', summary: 'Check one permission of a subject', permission: null, body: input.accessCheck, status: 200, response: s.checkResult },
  { tag: 'Access', method: 'post', path: '/access/check-batch', summary: 'Check up to 1,000 permissions at once', permission: null, body: input.accessCheckBatch, status: 200, response: obj({ results: arrayOf(s.checkResult) }) },
  { tag: 'Access', method: 'get', path: '/orgs/:org/users/:id/permissions', summary: "A user's effective permissions", permission: null, query: input.permissionsQuery, status: 200, response: s.effectiveAccess },
  { tag: 'Access', method: 'get', path: '/orgs/:org/service-accounts/:id/permissions', summary: "A service account's effective permissions", permission: null, query: input.permissionsQuery, status: 200, response: s.effectiveAccess },

  { tag: 'Audit', method: 'get', path: '/orgs/:org/audit', summary: 'The audit log, newest first, paged by cursor', permission: ORG_R, query: input.auditQuery, queryNotes: { cursor: 'The `nextCursor` of the previous page' }, status: 200, response: obj({ events: arrayOf(s.auditEvent), nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] } }) },

  { tag: 'Propagation', method: 'get', path: '/changes/:id', summary: 'A change and whether it is applied (wait=ms long-polls, at most 30 s)', permission: null, query: input.changeQuery, queryNotes: { wait: 'Milliseconds to wait for the change to be applied (at most 30,000)' }, status: 200, response: s.change },
  { tag: 'Propagation', method: 'post', path: '/changes/:id/retry', summary: 'Queue a failed change again', permission: ORG_W, status: 200, response: s.change },
  { tag: 'Propagation', method: 'get', path: '/orgs/:org/propagation', summary: 'Pending and failed changes, lag percentiles, queue depth', permission: null, status: 200, response: s.propagation },
  { tag: 'Propagation', method: 'get', path: '/orgs/:org/propagation/lag', summary: 'Lag p50/p99 per minute against the 1 s goal', permission: null, query: lagQuery, status: 200, response: s.lagByMinute },
  { tag: 'Propagation', method: 'get', path: '/orgs/:org/deprovisioning', summary: 'Deprovisioned users and their time to full revocation', permission: ORG_R, query: input.deprovisioningQuery, status: 200, response: obj({ users: arrayOf(s.deprovisioningRow) }) },
];
