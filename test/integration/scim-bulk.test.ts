import { GROUP_URN, newUser, scimErrorBody, startHarness, type Harness, type ScimClient } from '../support/harness';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
let h: Harness;
let scim: ScimClient;

beforeAll(async () => {
  h = await startHarness({ SCIM_BULK_MAX_OPERATIONS: '5' });
  scim = h.as(await h.directory('generic'));
});
afterAll(() => h.close());

describe('SCIM Bulk', () => {
  it('creates a user and a group that refers to it by bulkId, with a status per operation', async () => {
    const res = await scim.post('/Bulk', {
      schemas: [BULK],
      Operations: [
        // The group comes first and refers forward to the user's bulkId.
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: [GROUP_URN], displayName: 'Bulk Group', members: [{ value: 'bulkId:u1' }] } },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: newUser('bulk-user') },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    expect(res.body.Operations).toEqual([
      expect.objectContaining({ method: 'POST', bulkId: 'g1', status: '201', location: expect.stringContaining('/Groups/') }),
      expect.objectContaining({ method: 'POST', bulkId: 'u1', status: '201', location: expect.stringContaining('/Users/') }),
    ]);
    const groupId = res.body.Operations[0].location.split('/').pop();
    const userId = res.body.Operations[1].location.split('/').pop();
    const group = await scim.get(`/Groups/${groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
  });

  it('reports each failed operation and stops after failOnErrors', async () => {
    const res = await scim.post('/Bulk', {
      schemas: [BULK],
      failOnErrors: 1,
      Operations: [
        { method: 'DELETE', path: '/Users/missing' },
        { method: 'POST', path: '/Users', bulkId: 'never', data: newUser('never-created') },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.Operations).toEqual([{ method: 'DELETE', status: '404', response: scimErrorBody(404) }]);
    const check = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "never-created"')}`);
    expect(check.body.totalResults).toBe(0);
  });

  it('answers more than maxOperations with 413', async () => {
    const ops = Array.from({ length: 6 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: newUser(`too-many-${i}`) }));
    const res = await scim.post('/Bulk', { schemas: [BULK], Operations: ops });
    expect(res.status).toBe(413);
    expect(res.body).toEqual(scimErrorBody(413));
  });

  it('answers a request without the BulkRequest schema with 400 invalidSyntax', async () => {
    const res = await scim.post('/Bulk', { Operations: [] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(scimErrorBody(400, 'invalidSyntax'));
  });
});
