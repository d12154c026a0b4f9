import request from 'supertest';
import { ENTERPRISE_URN, ERROR_URN, GROUP_URN, newUser, PATCH_URN, startHarness, USER_URN, type AdminClient, type Harness, type TestDirectory } from '../support/harness';

// Every input gets an answer: hostile paths, text, lengths, nesting, bodies and query strings on every
// route family of /scim/v2 and /api/v1 are refused with the right 4xx and a whole error body, never a
// 500, and none of them changes what is stored.

const NUL = '\u0000';
const HIGH = '\ud800'; // a high surrogate with no low one after it
const LOW = '\udc00'; // a low surrogate with no high one before it
const LONG = 'a'.repeat(5000);
const LONG_ID = 'x'.repeat(300);
const EMOJI_200 = '\u{1F600}'.repeat(200); // 200 characters, 800 bytes of UTF-8: over the byte cap only
const CHARS_257 = 'b'.repeat(257);
const SEARCH_URN = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK_URN = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);

let h: Harness;
let dir: TestDirectory;
let api: AdminClient;
let adminSecret: string;
const known = { user: '', user2: '', group: '', project: '', binding: '', role: '', policy: '', change: '' };
const seen: number[] = [];

beforeAll(async () => {
  // A fixed base URL makes every read byte-for-byte repeatable (no ephemeral port in meta.location).
  h = await startHarness({ PUBLIC_BASE_URL: 'https://scim.example.test', SCIM_MAX_PAYLOAD_BYTES: String(256 * 1024) });
  dir = await h.directory('okta');
  const key = await h.adminKey(dir.orgId);
  api = key.api;
  adminSecret = key.secret;
  const scim = h.as(dir);
  known.user = (await scim.post('/Users', newUser('known@example.com', { externalId: 'ext-known', displayName: 'Known User' }))).body.id;
  known.user2 = (await scim.post('/Users', newUser('other@example.com'))).body.id;
  known.group = (await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'Known Group', members: [{ value: known.user }] })).body.id;
  known.project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Known Project' })).body.id;
  const bound = await api.post(`/orgs/${dir.orgId}/bindings`, {
    principal: { type: 'user', id: known.user },
    scope: { type: 'project', projectId: known.project },
    roleId: 'preset:project-member',
  });
  known.binding = bound.body.id;
  known.change = bound.headers['x-change-id'];
  known.role = (await api.post(`/orgs/${dir.orgId}/roles`, { name: 'Known Role', permissions: ['api.model.read'] })).body.id;
  known.policy = (await api.post(`/orgs/${dir.orgId}/policies`, { name: 'Known Policy', permissions: ['api.file.read'] })).body.id;
  for (const id of Object.values(known)) expect(id).toEqual(expect.any(String));
});
afterAll(() => h.close());

// --- senders: every response is recorded, so the last test can assert none was a 500 -------------------

const record = (t: request.Test) => t.then((res) => (seen.push(res.status), res));
const bearer = (r: request.Test, token: string) => r.set('Authorization', `Bearer ${token}`);
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A SCIM request with the directory's token; bodies as objects are JSON, as strings are sent raw. */
const scim = (method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) => () => {
  let r = bearer(request(h.app)[method](`/scim/v2${path}`), dir.token).set('Content-Type', 'application/scim+json');
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
  return record(body === undefined ? r : r.send(typeof body === 'string' ? body : JSON.stringify(body)));
};
const discovery = (path: string) => () => record(request(h.app).get(`/scim/v2${path}`));
const admin = (method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) => () => {
  let r = bearer(request(h.app)[method](`/api/v1${path}`), adminSecret).set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
  return record(body === undefined ? r : r.send(typeof body === 'string' ? body : JSON.stringify(body)));
};

const user = (extra: Record<string, unknown>) => newUser('hostile@example.com', extra);
const group = (extra: Record<string, unknown>) => ({ schemas: [GROUP_URN], displayName: 'Hostile Group', ...extra });
const patch = (...ops: unknown[]) => ({ schemas: [PATCH_URN], Operations: ops });
const bulk = (...ops: unknown[]) => ({ schemas: [BULK_URN], Operations: ops });
const search = (extra: Record<string, unknown>) => ({ schemas: [SEARCH_URN], ...extra });
const q = encodeURIComponent;
const org = () => `/orgs/${dir.orgId}`;
const U = () => `/Users/${known.user}`;
const G = () => `/Groups/${known.group}`;

// --- SCIM -------------------------------------------------------------------------------------------

interface ScimRow {
  name: string;
  send: () => Promise<request.Response>;
  status: number;
  scimType?: string;
  /** For Bulk: the request is answered 200 and its one operation carries this error. */
  op?: { status: number; scimType?: string; echoed: () => Record<string, string> };
}

const S = (name: string, send: ScimRow['send'], status: number, scimType?: string): ScimRow => ({ name, send, status, scimType });
const B = (name: string, op: () => Record<string, unknown>, status: number, scimType?: string): ScimRow => ({
  name,
  send: () => scim('post', '/Bulk', bulk(op()))(),
  status: 200,
  // What the response echoes of the operation: its method, and its bulkId when that is a string.
  op: { status, scimType, echoed: () => ({ method: String(op().method), ...(typeof op().bulkId === 'string' ? { bulkId: String(op().bulkId) } : {}) }) },
});

const scimRows = (): ScimRow[] => [
  // discovery, no token
  S('Schemas/% (a lone percent sign)', discovery('/Schemas/%'), 400, 'invalidSyntax'),
  S('ServiceProviderConfig%zz', discovery('/ServiceProviderConfig%zz'), 400, 'invalidSyntax'),
  S('ResourceTypes/%E0%A4%A (a truncated UTF-8 sequence)', discovery('/ResourceTypes/%E0%A4%A'), 400, 'invalidSyntax'),
  S('ResourceTypes/%ED%A0%80 (an encoded surrogate)', discovery('/ResourceTypes/%ED%A0%80'), 400, 'invalidSyntax'),
  S('Schemas/%00', discovery('/Schemas/%00'), 400, 'invalidValue'),
  S('Schemas?x=%00', discovery('/Schemas?x=%00'), 400, 'invalidValue'),
  S('ResourceTypes/ with a 300-character id', discovery(`/ResourceTypes/${LONG_ID}`), 404),
  // Users: paths
  S('GET /Users/%E0%A4%A', scim('get', '/Users/%E0%A4%A'), 400, 'invalidSyntax'),
  S('GET /Users/%zz', scim('get', '/Users/%zz'), 400, 'invalidSyntax'),
  S('GET /Users/%ED%A0%80', scim('get', '/Users/%ED%A0%80'), 400, 'invalidSyntax'),
  S('GET /Users/%00', scim('get', '/Users/%00'), 400, 'invalidValue'),
  S('GET a known user id followed by %00', () => scim('get', `${U()}%00`)(), 400, 'invalidValue'),
  S('GET /Users/ with a 300-character id', scim('get', `/Users/${LONG_ID}`), 404),
  S('PUT /Users/ with a 300-character id', scim('put', `/Users/${LONG_ID}`, user({})), 404),
  S('PATCH /Users/ with a 300-character id', scim('patch', `/Users/${LONG_ID}`, patch({ op: 'replace', path: 'active', value: false })), 404),
  S('DELETE /Users/ with a 300-character id', scim('delete', `/Users/${LONG_ID}`), 404),
  S('DELETE /Users/%E0%A4', scim('delete', '/Users/%E0%A4'), 400, 'invalidSyntax'),
  // Users: text that cannot be stored
  S('POST userName with U+0000', scim('post', '/Users', user({ userName: `a${NUL}b` })), 400, 'invalidValue'),
  S('POST userName with a lone high surrogate', scim('post', '/Users', user({ userName: `a${HIGH}b` })), 400, 'invalidValue'),
  S('POST userName with a lone low surrogate', scim('post', '/Users', user({ userName: `${LOW}b` })), 400, 'invalidValue'),
  S('POST userName that is only a lone surrogate', scim('post', '/Users', user({ userName: HIGH })), 400, 'invalidValue'),
  S('POST name.givenName with U+0000', scim('post', '/Users', user({ name: { givenName: NUL } })), 400, 'invalidValue'),
  S('POST emails[0].value with a lone surrogate', scim('post', '/Users', user({ emails: [{ value: `x${HIGH}@example.com` }] })), 400, 'invalidValue'),
  S('POST an attribute name with U+0000', scim('post', '/Users', user({ [`title${NUL}`]: 'x' })), 400, 'invalidValue'),
  S('POST an enterprise department with U+0000', scim('post', '/Users', user({ schemas: [USER_URN, ENTERPRISE_URN], [ENTERPRISE_URN]: { department: NUL } })), 400, 'invalidValue'),
  S('POST schemas[0] with a lone surrogate', scim('post', '/Users', user({ schemas: [`${USER_URN}${LOW}`] })), 400, 'invalidValue'),
  S('POST password with U+0000', scim('post', '/Users', user({ password: `pw${NUL}` })), 400, 'invalidValue'),
  // Users: lengths
  S('POST userName of 5,000 characters', scim('post', '/Users', user({ userName: LONG })), 400, 'invalidValue'),
  S('POST userName of 257 characters', scim('post', '/Users', user({ userName: CHARS_257 })), 400, 'invalidValue'),
  S('POST userName of 200 emoji (800 bytes)', scim('post', '/Users', user({ userName: EMOJI_200 })), 400, 'invalidValue'),
  S('POST externalId of 5,000 characters', scim('post', '/Users', user({ externalId: LONG })), 400, 'invalidValue'),
  S('POST displayName of 5,000 characters', scim('post', '/Users', user({ displayName: LONG })), 400, 'invalidValue'),
  // Users: nesting
  S('POST an attribute nested 10,000 arrays deep', scim('post', '/Users', `{"schemas":["${USER_URN}"],"userName":"deep","x":${deepArray(10_000)}}`), 400, 'invalidSyntax'),
  S('POST name nested 65 objects deep', scim('post', '/Users', `{"schemas":["${USER_URN}"],"userName":"deep","name":${deepObject(64)}}`), 400, 'invalidSyntax'),
  S('POST 100,000 unclosed brackets', scim('post', '/Users', '['.repeat(100_000)), 400, 'invalidSyntax'),
  // Users: PUT and PATCH of the known user
  S('PUT known user with userName U+0000', () => scim('put', U(), user({ userName: NUL }))(), 400, 'invalidValue'),
  S('PUT known user with userName of 5,000 characters', () => scim('put', U(), user({ userName: LONG }))(), 400, 'invalidValue'),
  S('PUT known user with externalId of 300 characters', () => scim('put', U(), user({ userName: 'known@example.com', externalId: LONG_ID }))(), 400, 'invalidValue'),
  S('PATCH known user: replace userName with 5,000 characters', () => scim('patch', U(), patch({ op: 'replace', path: 'userName', value: LONG }))(), 400, 'invalidValue'),
  S('PATCH known user: pathless replace of displayName with 5,000 characters', () => scim('patch', U(), patch({ op: 'replace', value: { displayName: LONG } }))(), 400, 'invalidValue'),
  S('PATCH known user: add externalId of 257 characters', () => scim('patch', U(), patch({ op: 'add', path: 'externalId', value: CHARS_257 }))(), 400, 'invalidValue'),
  S('PATCH known user: replace userName with 200 emoji', () => scim('patch', U(), patch({ op: 'replace', path: 'userName', value: EMOJI_200 }))(), 400, 'invalidValue'),
  S('PATCH known user: a value with U+0000', () => scim('patch', U(), patch({ op: 'replace', path: 'title', value: `t${NUL}` }))(), 400, 'invalidValue'),
  S('PATCH known user: userName with a lone surrogate', () => scim('patch', U(), patch({ op: 'replace', path: 'userName', value: `k${HIGH}` }))(), 400, 'invalidValue'),
  S('PATCH known user: a path with U+0000', () => scim('patch', U(), patch({ op: 'replace', path: `userName${NUL}`, value: 'x' }))(), 400, 'invalidPath'),
  S('PATCH known user: a value nested 10,000 deep', () => scim('patch', U(), `{"schemas":["${PATCH_URN}"],"Operations":[{"op":"add","path":"title","value":${deepArray(10_000)}}]}`)(), 400, 'invalidSyntax'),
  // Users: query parameters
  S('GET /Users?filter= with U+0000', scim('get', `/Users?filter=${q(`userName eq "a${NUL}"`)}`), 400, 'invalidFilter'),
  S('GET /Users?filter= longer than 10,000 characters', scim('get', `/Users?filter=${q(`userName eq "${'c'.repeat(10_001)}"`)}`), 400, 'invalidFilter'),
  S('GET /Users?attributes=%00', scim('get', '/Users?attributes=%00'), 400, 'invalidValue'),
  S('GET /Users?sortBy=userName%00', scim('get', '/Users?sortBy=userName%00'), 400, 'invalidValue'),
  S('GET /Users?startIndex=%00', scim('get', '/Users?startIndex=%00'), 400, 'invalidValue'),
  S('GET /Users?%00=1 (U+0000 in a parameter name)', scim('get', '/Users?%00=1'), 400, 'invalidValue'),
  S('GET known user ?excludedAttributes=%00', () => scim('get', `${U()}?excludedAttributes=%00`)(), 400, 'invalidValue'),
  // .search
  S('POST /Users/.search filter with U+0000', scim('post', '/Users/.search', search({ filter: `userName eq "${NUL}"` })), 400, 'invalidFilter'),
  S('POST /Groups/.search filter with a lone surrogate', scim('post', '/Groups/.search', search({ filter: `displayName eq "${HIGH}"` })), 400, 'invalidFilter'),
  S('POST /.search attributes with U+0000', scim('post', '/.search', search({ attributes: [`userName${NUL}`] })), 400, 'invalidValue'),
  S('POST /.search nested 10,000 deep', scim('post', '/.search', `{"schemas":["${SEARCH_URN}"],"x":${deepArray(10_000)}}`), 400, 'invalidSyntax'),
  S('POST /Users/.search filter longer than 10,000 characters', scim('post', '/Users/.search', search({ filter: `userName eq "${'c'.repeat(10_001)}"` })), 400, 'invalidFilter'),
  // Groups
  S('POST group displayName with U+0000', scim('post', '/Groups', group({ displayName: `g${NUL}` })), 400, 'invalidValue'),
  S('POST group displayName with a lone surrogate', scim('post', '/Groups', group({ displayName: `g${LOW}` })), 400, 'invalidValue'),
  S('POST group displayName of 5,000 characters', scim('post', '/Groups', group({ displayName: LONG })), 400, 'invalidValue'),
  S('POST group displayName of 257 characters', scim('post', '/Groups', group({ displayName: CHARS_257 })), 400, 'invalidValue'),
  S('POST group externalId of 5,000 characters', scim('post', '/Groups', group({ externalId: LONG })), 400, 'invalidValue'),
  S('POST group with a member id of 300 characters', scim('post', '/Groups', group({ members: [{ value: LONG_ID }] })), 400, 'invalidValue'),
  S('POST group with a member id with U+0000', scim('post', '/Groups', group({ members: [{ value: NUL }] })), 400, 'invalidValue'),
  S('POST group with a member display with a lone surrogate', () => scim('post', '/Groups', group({ members: [{ value: known.user2, display: HIGH }] }))(), 400, 'invalidValue'),
  S('POST group nested 10,000 deep', scim('post', '/Groups', `{"schemas":["${GROUP_URN}"],"displayName":"d","members":${deepArray(10_000)}}`), 400, 'invalidSyntax'),
  S('PUT known group with displayName of 5,000 characters', () => scim('put', G(), group({ displayName: LONG }))(), 400, 'invalidValue'),
  S('PUT known group with a member id of 300 characters', () => scim('put', G(), group({ displayName: 'Known Group', members: [{ value: LONG_ID }] }))(), 400, 'invalidValue'),
  S('PATCH known group: replace displayName with 5,000 characters', () => scim('patch', G(), patch({ op: 'replace', path: 'displayName', value: LONG }))(), 400, 'invalidValue'),
  S('PATCH known group: pathless replace of displayName with 257 characters', () => scim('patch', G(), patch({ op: 'replace', value: { displayName: CHARS_257 } }))(), 400, 'invalidValue'),
  S('PATCH known group: add a member id of 300 characters', () => scim('patch', G(), patch({ op: 'add', path: 'members', value: [{ value: LONG_ID }] }))(), 400, 'invalidValue'),
  S('PATCH known group: remove a member id of 300 characters', () => scim('patch', G(), patch({ op: 'remove', path: 'members', value: [{ value: LONG_ID }] }))(), 400, 'invalidValue'),
  S('PATCH known group: a member filter path with U+0000', () => scim('patch', G(), patch({ op: 'remove', path: `members[value eq "${NUL}"]` }))(), 400, 'invalidPath'),
  S('PATCH known group: displayName with U+0000', () => scim('patch', G(), patch({ op: 'replace', path: 'displayName', value: NUL }))(), 400, 'invalidValue'),
  S('PATCH known group: members nested 10,000 deep', () => scim('patch', G(), `{"schemas":["${PATCH_URN}"],"Operations":[{"op":"add","path":"members","value":${deepArray(10_000)}}]}`)(), 400, 'invalidSyntax'),
  S('GET /Groups/%E0%A4%A', scim('get', '/Groups/%E0%A4%A'), 400, 'invalidSyntax'),
  S('GET /Groups/ with a 300-character id', scim('get', `/Groups/${LONG_ID}`), 404),
  S('PATCH /Groups/ with a 300-character id', scim('patch', `/Groups/${LONG_ID}`, patch({ op: 'replace', path: 'displayName', value: 'x' })), 404),
  S('DELETE /Groups/%00', scim('delete', '/Groups/%00'), 400, 'invalidValue'),
  S('GET /Groups?filter= with U+0000', scim('get', `/Groups?filter=${q(`displayName eq "${NUL}"`)}`), 400, 'invalidFilter'),
  // Bulk: refused as a whole when the body itself is unreadable or unstorable
  S('Bulk data with U+0000', scim('post', '/Bulk', bulk({ method: 'POST', bulkId: 'b1', path: '/Users', data: user({ userName: NUL }) })), 400, 'invalidValue'),
  S('Bulk path with U+0000', scim('post', '/Bulk', bulk({ method: 'DELETE', path: `/Users/${NUL}` })), 400, 'invalidPath'),
  S('Bulk bulkId with a lone surrogate', scim('post', '/Bulk', bulk({ method: 'POST', bulkId: HIGH, path: '/Users', data: user({}) })), 400, 'invalidValue'),
  S('Bulk data nested 10,000 deep', scim('post', '/Bulk', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"POST","bulkId":"d","path":"/Users","data":${deepArray(10_000)}}]}`), 400, 'invalidSyntax'),
  S('Bulk PATCH data nested 65 deep', () => scim('post', '/Bulk', `{"schemas":["${BULK_URN}"],"Operations":[{"method":"PATCH","path":"${U()}","data":${deepObject(62)}}]}`)(), 400, 'invalidSyntax'),
  // Bulk: answered per operation when one operation is wrong
  B('Bulk POST of a userName of 5,000 characters', () => ({ method: 'POST', bulkId: 'b2', path: '/Users', data: user({ userName: LONG }) }), 400, 'invalidValue'),
  B('Bulk PATCH of a 300-character user id', () => ({ method: 'PATCH', path: `/Users/${LONG_ID}`, data: patch({ op: 'replace', path: 'active', value: false }) }), 404),
  B('Bulk DELETE of a 300-character group id', () => ({ method: 'DELETE', path: `/Groups/${LONG_ID}` }), 404),
  B('Bulk PUT of the known group with a displayName of 5,000 characters', () => ({ method: 'PUT', path: G(), data: group({ displayName: LONG }) }), 400, 'invalidValue'),
  B('Bulk PATCH of the known user with an externalId of 5,000 characters', () => ({ method: 'PATCH', path: U(), data: patch({ op: 'replace', path: 'externalId', value: LONG }) }), 400, 'invalidValue'),
  B('Bulk operation with an object as version', () => ({ method: 'PATCH', path: U(), version: {}, data: patch({ op: 'replace', path: 'active', value: false }) }), 400, 'invalidSyntax'),
  B('Bulk operation with a number as bulkId', () => ({ method: 'DELETE', path: U(), bulkId: 7 }), 400, 'invalidSyntax'),
  // bodies body-parser refuses
  S('POST /Users in charset latin1', scim('post', '/Users', '{}', { 'Content-Type': 'application/json; charset=latin1' }), 415),
  S('POST /Users with Content-Encoding: foo', scim('post', '/Users', '{}', { 'Content-Encoding': 'foo' }), 415),
  S('POST /Users claiming gzip but not gzip', scim('post', '/Users', '{"not":"gzip"}', { 'Content-Encoding': 'gzip' }), 400, 'invalidSyntax'),
  S('POST /Users with JSON cut short', scim('post', '/Users', '{"schemas": ['), 400, 'invalidSyntax'),
  S('POST /Users with a JSON string as body', scim('post', '/Users', '"just a string"'), 400, 'invalidSyntax'),
  S('POST /Bulk with a body over maxPayloadSize', scim('post', '/Bulk', bulk({ method: 'POST', bulkId: 'big', path: '/Users', data: user({ title: 'z'.repeat(300 * 1024) }) })), 413),
];

// --- admin API --------------------------------------------------------------------------------------

interface AdminRow {
  name: string;
  send: () => Promise<request.Response>;
  status: number;
  /** A validation problem naming this parameter or field in `errors`. */
  names?: string;
}

const A = (name: string, send: AdminRow['send'], status: number, names?: string): AdminRow => ({ name, send, status, names });
const TITLES: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 413: 'Content Too Large', 415: 'Unsupported Media Type' };

const adminRows = (): AdminRow[] => [
  // paths
  A('GET a project id of %E0%A4%A', () => admin('get', `${org()}/projects/%E0%A4%A`)(), 400),
  A('GET /orgs/%zz/projects', admin('get', '/orgs/%zz/projects'), 400),
  A('GET /permissions%zz (no route matches)', admin('get', '/permissions%zz'), 400),
  A('GET a project id of %00', () => admin('get', `${org()}/projects/%00`)(), 400),
  A('GET a project id of 300 characters', () => admin('get', `${org()}/projects/${LONG_ID}`)(), 404),
  A('PATCH a project id of 300 characters', () => admin('patch', `${org()}/projects/${LONG_ID}`, { name: 'x' })(), 404),
  A('GET an organization id of 300 characters', admin('get', `/orgs/${LONG_ID}/projects`), 404),
  A('DELETE a binding id of %ED%A0%80', () => admin('delete', `${org()}/bindings/%ED%A0%80`)(), 400),
  A('GET a binding id of 300 characters', () => admin('get', `${org()}/bindings/${LONG_ID}`)(), 404),
  A('GET a role id of %00', () => admin('get', `${org()}/roles/%00`)(), 400),
  A('DELETE a policy id of %zz', () => admin('delete', `${org()}/policies/%zz`)(), 400),
  A('DELETE a service account id of 300 characters', () => admin('delete', `${org()}/service-accounts/${LONG_ID}`)(), 404),
  A('GET service accounts of a project id of 300 characters', () => admin('get', `${org()}/projects/${LONG_ID}/service-accounts`)(), 404),
  A('POST revoke of an API key id of 300 characters', () => admin('post', `${org()}/api-keys/${LONG_ID}/revoke`)(), 404),
  A('GET permissions of a user id of %E0%A4%A', () => admin('get', `${org()}/users/%E0%A4%A/permissions`)(), 400),
  A('GET permissions of a service account id of %00', () => admin('get', `${org()}/service-accounts/%00/permissions`)(), 400),
  A('DELETE a directory token id of 300 characters', () => admin('delete', `${org()}/directories/${dir.directoryId}/tokens/${LONG_ID}`)(), 404),
  A('GET /changes/%00', admin('get', '/changes/%00'), 400),
  A('GET /changes/ with a 300-character id', admin('get', `/changes/${LONG_ID}`), 404),
  A('POST /changes/%E0/retry', admin('post', '/changes/%E0/retry'), 400),
  // bodies: text that cannot be stored, and nesting
  A('POST project name with U+0000', () => admin('post', `${org()}/projects`, { name: `p${NUL}` })(), 400),
  A('POST project name with a lone surrogate', () => admin('post', `${org()}/projects`, { name: `p${HIGH}` })(), 400),
  A('PATCH known project name with U+0000', () => admin('patch', `${org()}/projects/${known.project}`, { name: NUL })(), 400),
  A('PATCH known project name with a lone low surrogate', () => admin('patch', `${org()}/projects/${known.project}`, { name: `Known Project${LOW}` })(), 400),
  A('POST project nested 10,000 deep', () => admin('post', `${org()}/projects`, `{"name":${deepArray(10_000)}}`)(), 400),
  A('POST project nested 65 objects deep', () => admin('post', `${org()}/projects`, deepObject(65))(), 400),
  A('POST role name with U+0000', () => admin('post', `${org()}/roles`, { name: NUL, permissions: ['api.model.read'] })(), 400),
  A('POST role permissions with a lone surrogate', () => admin('post', `${org()}/roles`, { name: 'r', permissions: [`api.model.read${HIGH}`] })(), 400),
  A('PATCH known role description with a lone surrogate', () => admin('patch', `${org()}/roles/${known.role}`, { description: HIGH })(), 400),
  A('PATCH known role nested 10,000 deep', () => admin('patch', `${org()}/roles/${known.role}`, `{"permissions":${deepArray(10_000)}}`)(), 400),
  A('POST policy description with U+0000', () => admin('post', `${org()}/policies`, { name: 'p', description: NUL, permissions: ['api.file.read'] })(), 400),
  A('PATCH known policy name with a lone surrogate', () => admin('patch', `${org()}/policies/${known.policy}`, { name: LOW })(), 400),
  A('POST binding principal userName with U+0000', () => admin('post', `${org()}/bindings`, { principal: { type: 'user', userName: NUL }, scope: { type: 'organization' }, roleId: 'preset:org-reader' })(), 400),
  A('POST binding roleId with a lone surrogate', () => admin('post', `${org()}/bindings`, { principal: { type: 'user', id: known.user }, scope: { type: 'organization' }, roleId: `preset:org-reader${HIGH}` })(), 400),
  A('POST binding with U+0000 in a field name', () => admin('post', `${org()}/bindings`, { principal: { type: 'user', id: known.user }, scope: { type: 'organization' }, [`roleId${NUL}`]: 'x' })(), 400),
  A('POST service account name with U+0000', () => admin('post', `${org()}/projects/${known.project}/service-accounts`, { name: NUL })(), 400),
  A('POST API key name with a lone surrogate', () => admin('post', `${org()}/api-keys`, { projectId: known.project, name: HIGH, owner: { type: 'user', id: known.user }, permissions: 'all' })(), 400),
  A('POST directory name with U+0000', () => admin('post', `${org()}/directories`, { name: NUL, provider: 'okta' })(), 400),
  A('POST /access/check subject userName with U+0000', admin('post', '/access/check', { subject: { userName: NUL }, permission: 'api.model.read' }), 400),
  A('POST /access/check permission with a lone surrogate', admin('post', '/access/check', { subject: { userName: 'known@example.com' }, permission: `api.model.read${HIGH}` }), 400),
  A('POST /access/check-batch nested 10,000 deep', admin('post', '/access/check-batch', `{"checks":${deepArray(10_000)}}`), 400),
  // query parameters: unknown, repeated, mistyped
  A('GET bindings?principalId[$ne]=x', () => admin('get', `${org()}/bindings?principalId[$ne]=x`)(), 400, 'principalId[$ne]'),
  A('GET bindings?principalId=a&principalId=b', () => admin('get', `${org()}/bindings?principalId=a&principalId=b`)(), 400, 'principalId'),
  A('GET bindings?principalType=robot', () => admin('get', `${org()}/bindings?principalType=robot`)(), 400, 'principalType'),
  A('GET bindings?principalID=x (a typo)', () => admin('get', `${org()}/bindings?principalID=x`)(), 400, 'principalID'),
  A('GET projects?foo=1', () => admin('get', `${org()}/projects?foo=1`)(), 400, 'foo'),
  A('GET projects?includeArchived=yes', () => admin('get', `${org()}/projects?includeArchived=yes`)(), 400, 'includeArchived'),
  A('GET projects?includeArchived=%00', () => admin('get', `${org()}/projects?includeArchived=%00`)(), 400),
  A('GET a known project ?x=1', () => admin('get', `${org()}/projects/${known.project}?x=1`)(), 400, 'x'),
  A('GET roles?limit=5', () => admin('get', `${org()}/roles?limit=5`)(), 400, 'limit'),
  A('GET policies?__proto__=1', () => admin('get', `${org()}/policies?__proto__=1`)(), 400, '__proto__'),
  A('GET api-keys?ownerId[$gt]=', () => admin('get', `${org()}/api-keys?ownerId[$gt]=`)(), 400, 'ownerId[$gt]'),
  A('GET api-keys?projectId=a&projectId=b', () => admin('get', `${org()}/api-keys?projectId=a&projectId=b`)(), 400, 'projectId'),
  A('GET audit?limit=abc', () => admin('get', `${org()}/audit?limit=abc`)(), 400, 'limit'),
  A('GET audit?since=garbage', () => admin('get', `${org()}/audit?since=garbage`)(), 400, 'since'),
  A('GET audit?action=%00', () => admin('get', `${org()}/audit?action=%00`)(), 400),
  A('GET audit?actorId[$regex]=.*', () => admin('get', `${org()}/audit?actorId[$regex]=.*`)(), 400, 'actorId[$regex]'),
  A('GET /changes/:id?wait=abc', () => admin('get', `/changes/${known.change}?wait=abc`)(), 400, 'wait'),
  A('GET /changes/:id?wait=-5', () => admin('get', `/changes/${known.change}?wait=-5`)(), 400, 'wait'),
  A('GET user permissions?projectId=a&projectId=b', () => admin('get', `${org()}/users/${known.user}/permissions?projectId=a&projectId=b`)(), 400, 'projectId'),
  A('GET deprovisioning?limit=0', () => admin('get', `${org()}/deprovisioning?limit=0`)(), 400, 'limit'),
  A('GET the organization ?verbose=1', () => admin('get', `${org()}?verbose=1`)(), 400, 'verbose'),
  A('GET /permissions?x=1', admin('get', '/permissions?x=1'), 400, 'x'),
  A('POST /access/check?debug=1', admin('post', '/access/check?debug=1', { subject: { userName: 'known@example.com' }, permission: 'api.model.read' }), 400, 'debug'),
  A('DELETE known binding ?force=1', () => admin('delete', `${org()}/bindings/${known.binding}?force=1`)(), 400, 'force'),
  // bodies body-parser refuses
  A('POST project in charset latin1', () => admin('post', `${org()}/projects`, '{}', { 'Content-Type': 'application/json; charset=latin1' })(), 415),
  A('POST project with Content-Encoding: foo', () => admin('post', `${org()}/projects`, '{}', { 'Content-Encoding': 'foo' })(), 415),
  A('POST project claiming gzip but not gzip', () => admin('post', `${org()}/projects`, '{"name":"x"}', { 'Content-Encoding': 'gzip' })(), 400),
  A('POST project with JSON cut short', () => admin('post', `${org()}/projects`, '{"name": ')(), 400),
  A('POST project with a body over 1 MB', () => admin('post', `${org()}/projects`, { name: 'n'.repeat(1_100_000) })(), 413),
];

// --- what must not change ----------------------------------------------------------------------------

/** The raw bytes of the known resources as both APIs answer them, and their stored documents. */
async function snapshot() {
  const scimRead = (path: string) => record(bearer(request(h.app).get(`/scim/v2${path}`), dir.token));
  const adminRead = (path: string) => record(bearer(request(h.app).get(`/api/v1${path}`), adminSecret));
  const texts: Record<string, string> = {};
  for (const [name, read] of Object.entries({
    user: () => scimRead(U()),
    group: () => scimRead(`${G()}?attributes=displayName,externalId,members`),
    users: () => scimRead('/Users?count=100'),
    groups: () => scimRead('/Groups?count=100'),
    project: () => adminRead(`${org()}/projects/${known.project}`),
    projects: () => adminRead(`${org()}/projects?includeArchived=true`),
    binding: () => adminRead(`${org()}/bindings/${known.binding}`),
    bindings: () => adminRead(`${org()}/bindings`),
    roles: () => adminRead(`${org()}/roles`),
    policies: () => adminRead(`${org()}/policies`),
    serviceAccounts: () => adminRead(`${org()}/projects/${known.project}/service-accounts`),
    apiKeys: () => adminRead(`${org()}/api-keys`),
    directories: () => adminRead(`${org()}/directories`),
  })) {
    const res = await read();
    expect(res.status).toBe(200);
    texts[name] = `${res.headers.etag ?? ''}\n${res.text}`;
  }
  const m = h.c.models;
  const stored = {
    user: await m.users.collection.findOne({ _id: known.user as never }),
    group: await m.groups.collection.findOne({ _id: known.group as never }),
    memberships: await m.memberships.collection.find({ groupId: known.group }).toArray(),
    userCount: await m.users.collection.countDocuments({ directoryId: dir.directoryId }),
    groupCount: await m.groups.collection.countDocuments({ directoryId: dir.directoryId }),
  };
  return { texts, stored };
}

let before: Awaited<ReturnType<typeof snapshot>>;
beforeAll(async () => {
  before = await snapshot();
});

describe('hostile input to /scim/v2', () => {
  it.each(scimRows().map((r) => [r.name, r] as const))('answers %s with a SCIM error', async (_name, row) => {
    const res = await row.send();
    expect(res.status).toBe(row.status);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    if (row.op) {
      expect(res.body.Operations).toHaveLength(1);
      expect(res.body.Operations[0]).toEqual({ ...row.op.echoed(), status: String(row.op.status), response: scimError(row.op.status, row.op.scimType) });
    } else {
      expect(res.body).toEqual(scimError(row.status, row.scimType));
    }
  });

  it('accepts a SearchRequest nested exactly 64 levels, the limit', async () => {
    const res = await scim('post', '/Users/.search', `{"schemas":["${SEARCH_URN}"],"count":1,"x":${deepObject(63)}}`)();
    expect(res.status).toBe(200);
  });
});

describe('hostile input to /api/v1', () => {
  it.each(adminRows().map((r) => [r.name, r] as const))('answers %s with a problem', async (_name, row) => {
    const res = await row.send();
    expect(res.status).toBe(row.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: row.names ? 'urn:scim-sync:problem:validation' : 'about:blank',
      title: TITLES[row.status],
      status: row.status,
      detail: expect.any(String),
      instance: expect.any(String),
      ...(row.names ? { errors: expect.arrayContaining([{ path: row.names, message: expect.any(String) }]) } : {}),
    });
  });
});

describe('after every hostile input', () => {
  it('has changed nothing: the known user, group, project, binding and their lists read byte for byte the same', async () => {
    const after = await snapshot();
    expect(after.texts).toEqual(before.texts);
    expect(after.stored).toEqual(before.stored);
  });

  it('never answered 500', () => {
    expect(seen.length).toBeGreaterThan(scimRows().length + adminRows().length);
    expect(seen.filter((s) => s >= 500)).toEqual([]);
  });
});

function scimError(status: number, scimType?: string) {
  return { schemas: [ERROR_URN], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) };
}
