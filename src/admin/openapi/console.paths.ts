import { bindingCreate } from '../inputs';
import { guardPatch, selection } from '../deprovision-guard.routes';
import { memberPageQuery, pageQuery } from '../group-browse.routes';
import { requestListQuery, summaryQuery } from '../request-log.routes';
import { userListQuery } from '../user-search';
import { anyJson, arrayOf, bool, dateTime, enumOf, int, nullable, num, obj, open, str, strings, type RouteDoc } from './schema-kit';

// What the console browses and steers in a directory: users, groups, the request log, the
// mass-deprovisioning safety valve, and the impact preview of a binding.

const ORG_R = 'api.organization_admin.read';
const ORG_W = 'api.organization_admin.write';

const userRowProps = {
  id: str,
  userName: str,
  displayName: nullable(str),
  email: nullable(str),
  externalId: nullable(str),
  active: bool,
  createdAt: dateTime,
  lastModifiedAt: dateTime,
};
const groupRowProps = { id: str, displayName: str, externalId: nullable(str), memberCount: int, createdAt: dateTime, lastModifiedAt: dateTime };
const page = { total: int, startIndex: int, count: int };
const member = obj({ type: enumOf('user', 'group'), id: str, display: str, active: nullable(bool) });

const guardSettings = open({ enabled: bool, percent: num, count: int, windowMinutes: int });
const stagedUser = obj({ userId: str, userName: str, kind: str, heldAt: dateTime, changeIds: strings, requestId: nullable(str) });
const outcome = (verb: string) => obj({ [verb]: strings, moot: strings, notRestored: strings });

const requestRow = open({ requestId: str, seq: int, at: dateTime, method: str, path: str, resource: str, status: int, statusClass: str, latencyMs: num, reason: nullable(str) });
const body = obj({ body: nullable(str), chars: int, isTruncated: bool });
const requestEntry = open({ requestId: str, directoryId: str, failure: nullable(open({ reason: str })), request: body, response: body });

const bindingImpact = obj({
  principal: obj({ type: enumOf('user', 'group', 'serviceAccount'), id: str, display: str }, ['display']),
  role: obj({ id: str, name: str }),
  scope: open({ type: enumOf('organization', 'project') }),
  alreadyBound: bool,
  users: int,
  inactiveUsers: int,
  serviceAccounts: int,
  permissions: arrayOf(open({ scope: open({ type: str }), inEveryProject: bool, gainedBy: int, alreadyHad: int })),
});

const dir = '/orgs/:org/directories/:id';

export const consoleRoutes: RouteDoc[] = [
  { tag: 'Directory browsing', method: 'get', path: `${dir}/users`, summary: "A directory's users, searched and paged", permission: ORG_R, query: userListQuery, status: 200, response: obj({ ...page, users: arrayOf(obj(userRowProps)) }) },
  { tag: 'Directory browsing', method: 'get', path: `${dir}/users/:userId`, summary: 'One user as the IdP sent it, with its groups', permission: ORG_R, status: 200, response: obj({ ...userRowProps, directoryId: str, attributes: anyJson, groups: arrayOf(anyJson) }) },
  { tag: 'Directory browsing', method: 'get', path: `${dir}/groups`, summary: "A directory's groups with member counts", permission: ORG_R, query: pageQuery, status: 200, response: obj({ ...page, groups: arrayOf(obj(groupRowProps)) }) },
  { tag: 'Directory browsing', method: 'get', path: `${dir}/groups/:groupId`, summary: 'One group', permission: ORG_R, status: 200, response: obj({ ...groupRowProps, directoryId: str }) },
  { tag: 'Directory browsing', method: 'get', path: `${dir}/groups/:groupId/members`, summary: "A group's members, a page at a time", permission: ORG_R, query: memberPageQuery, status: 200, response: obj({ ...page, members: arrayOf(member) }) },

  { tag: 'Deprovisioning guard', method: 'get', path: `${dir}/deprovision-guard`, summary: "A directory's mass-deprovisioning threshold", permission: ORG_R, status: 200, response: guardSettings },
  { tag: 'Deprovisioning guard', method: 'patch', path: `${dir}/deprovision-guard`, summary: 'Change the threshold', permission: ORG_W, body: guardPatch, status: 200, response: guardSettings },
  { tag: 'Deprovisioning guard', method: 'get', path: '/orgs/:org/staged', summary: 'Held deprovisions per directory', permission: ORG_R, status: 200, response: obj({ directories: arrayOf(obj({ directoryId: str, total: int })) }) },
  { tag: 'Deprovisioning guard', method: 'get', path: `${dir}/staged`, summary: "A directory's held deprovisions", permission: ORG_R, status: 200, response: obj({ directoryId: str, total: int, users: arrayOf(stagedUser) }) },
  { tag: 'Deprovisioning guard', method: 'post', path: `${dir}/staged/approve`, summary: 'Apply held deprovisions (all, or the userIds given)', permission: ORG_W, body: selection, status: 200, response: outcome('approved') },
  { tag: 'Deprovisioning guard', method: 'post', path: `${dir}/staged/discard`, summary: 'Drop held deprovisions and restore the users', permission: ORG_W, body: selection, status: 200, response: outcome('discarded') },

  { tag: 'Request log', method: 'get', path: `${dir}/requests`, summary: "A directory's SCIM requests, newest first (masked)", permission: ORG_R, query: requestListQuery, status: 200, response: obj({ requests: arrayOf(requestRow), nextCursor: nullable(anyJson) }) },
  { tag: 'Request log', method: 'get', path: `${dir}/requests/:requestId`, summary: 'One SCIM request with its masked bodies', permission: ORG_R, status: 200, response: requestEntry },
  { tag: 'Request log', method: 'get', path: '/orgs/:org/request-summaries', summary: "Each directory's last request and error rate", permission: ORG_R, query: summaryQuery, status: 200, response: obj({ minutes: int, directories: arrayOf(anyJson) }) },

  { tag: 'Bindings', method: 'post', path: '/orgs/:org/bindings/preview', summary: 'Who would gain or lose what if this binding were made (nothing is written)', permission: 'api.role.read', body: bindingCreate, status: 200, response: bindingImpact },
];
