import { startHarness, type Harness } from '../support/harness';
import request from 'supertest';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SCIM_BULK_MAX_OPERATIONS: '50', SCIM_MAX_RESULTS: '200' });
});
afterAll(() => h.close());

describe('SCIM discovery', () => {
  it('describes what is really supported in ServiceProviderConfig', async () => {
    const res = await request(h.app).get('/scim/v2/ServiceProviderConfig');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 50, maxPayloadSize: h.config.SCIM_MAX_PAYLOAD_BYTES },
      filter: { supported: true, maxResults: 200 },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    });
  });

  it('lists the User and Group resource types, and each by id', async () => {
    const res = await request(h.app).get('/scim/v2/ResourceTypes');
    expect(res.body.totalResults).toBe(2);
    expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    const user = await request(h.app).get('/scim/v2/ResourceTypes/User');
    expect(user.body).toMatchObject({
      endpoint: '/Users',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }],
    });
    expect((await request(h.app).get('/scim/v2/ResourceTypes/Nope')).status).toBe(404);
  });

  it('serves the three schemas with their attribute definitions', async () => {
    const res = await request(h.app).get('/scim/v2/Schemas');
    expect(res.body.Resources.map((s: { id: string }) => s.id)).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
    const user = await request(h.app).get('/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    const userName = user.body.attributes.find((a: { name: string }) => a.name === 'userName');
    expect(userName).toMatchObject({ type: 'string', caseExact: false, uniqueness: 'server', required: true });
    const password = user.body.attributes.find((a: { name: string }) => a.name === 'password');
    expect(password).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(user.body.meta.location).toMatch(/\/scim\/v2\/Schemas\/urn:ietf:params:scim:schemas:core:2.0:User$/);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(h.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', mongo: true, redis: true });
  });
});
