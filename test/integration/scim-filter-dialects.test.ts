import { ENTERPRISE_URN, ERROR_URN, PATCH_URN, newUser, startHarness, USER_URN, type Harness, type ScimClient } from '../support/harness';
import { elemMatchRunsOnServer, userNamesByExactQuery } from '../support/exact-filter';

/**
 * "Every input gets an answer": the filter dialect Microsoft's reference client sends, PATCH values
 * that name no sub-attribute, and JavaScript prototype names, all over real HTTP against the real store.
 */
describe('SCIM input dialects and hostile names', () => {
  let h: Harness;
  let c: ScimClient;
  let directoryId: string;
  let exactElemMatch: boolean;
  const id: Record<'olivia' | 'bob' | 'oscar', string> = { olivia: '', bob: '', oscar: '' };
  let bobCreated: string;

  const created = async (userName: string, extra: Record<string, unknown>) => {
    const res = await c.post('/Users', newUser(userName, { schemas: [USER_URN, ENTERPRISE_URN], ...extra }));
    expect(res.status).toBe(201);
    // Distinct creation instants, so a meta.created comparison can tell the users apart.
    await new Promise((r) => setTimeout(r, 20));
    return res.body as { id: string; meta: { created: string } };
  };

  beforeAll(async () => {
    h = await startHarness();
    const dir = await h.directory('entra');
    directoryId = dir.directoryId;
    exactElemMatch = await elemMatchRunsOnServer(h);
    c = h.as(dir);
    const bob = await created('bob@example.com', {
      name: { givenName: 'Bob', familyName: 'Employee' },
      emails: [{ value: 'bob@work.example', type: 'work' }],
      [ENTERPRISE_URN]: { employeeNumber: '200' },
    });
    id.bob = bob.id;
    bobCreated = bob.meta.created;
    id.olivia = (await created('Olivia@example.com', {
      name: { givenName: 'Olivia', familyName: 'Employee' },
      emails: [
        { value: 'olivia@work.example', type: 'work', primary: true },
        { value: 'olivia@home.example', type: 'home' },
      ],
      addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Redmond' }],
      // Entra sends employeeNumber as a JSON number; it is stored as the string "100".
      [ENTERPRISE_URN]: { employeeNumber: 100, department: 'R&D', manager: { value: bob.id } },
    })).id;
    id.oscar = (await created('oscar@example.org', { name: { givenName: 'Oscar', familyName: 'Grouch' }, [ENTERPRISE_URN]: { employeeNumber: '007' } })).id;
  });
  afterAll(async () => h.close());

  /** The response body as sent, but for the ephemeral port supertest gives each request (it shows in meta.location). */
  const bytesOf = (res: { text: string }) => res.text.replace(/http:\/\/127\.0\.0\.1:\d+\//g, 'http://host/');

  /** The same moment as an RFC 3339 timestamp with 7 fractional digits at offset -07:00, as Microsoft writes it. */
  const microsoftTimestamp = (iso: string) => {
    const local = new Date(Date.parse(iso) - 7 * 3600_000).toISOString();
    return `${local.slice(0, 23)}0000-07:00`;
  };

  const list = async (filter: string) => {
    if (filter.includes('[') && !exactElemMatch) {
      const names = await userNamesByExactQuery(h, directoryId, filter);
      return { names, total: names.length };
    }
    const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(200);
    const names = res.body.Resources.map((r: { userName: string }) => r.userName).sort();
    expect(res.body.totalResults).toBe(names.length);
    return { names, total: res.body.totalResults as number };
  };

  describe('unquoted comparison values, as Microsoft\'s reference client sends them', () => {
    it.each([
      ['userName sw O', ['Olivia@example.com', 'oscar@example.org']],
      ['name.familyName eq Employee', ['Olivia@example.com', 'bob@example.com']],
      ['name.familyName eq employee and userName sw O', ['Olivia@example.com']],
      ['meta.created gt 2015-10-10T14:38:21.8617979-07:00', ['Olivia@example.com', 'bob@example.com', 'oscar@example.org']],
      ['meta.created lt 2015-10-10T14:38:21.8617979-07:00', []],
      ['active eq True', ['Olivia@example.com', 'bob@example.com', 'oscar@example.org']],
      ['employeeNumber eq 100', ['Olivia@example.com']],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 007', ['oscar@example.org']],
      ['emails[type eq home]', ['Olivia@example.com']],
    ])('%s returns exactly the expected users', async (filter, expected) => {
      expect(await list(filter)).toEqual({ names: expected, total: expected.length });
    });

    it('compares meta.created at the instant a 7-digit, offset timestamp names', async () => {
      const at = microsoftTimestamp(bobCreated);
      expect(await list(`meta.created gt ${at}`)).toEqual({ names: ['Olivia@example.com', 'oscar@example.org'], total: 2 });
      expect(await list(`meta.created ge ${at}`)).toEqual({ names: ['Olivia@example.com', 'bob@example.com', 'oscar@example.org'], total: 3 });
      expect(await list(`meta.created le ${at}`)).toEqual({ names: ['bob@example.com'], total: 1 });
    });

    it('answers the same filters quoted exactly as before', async () => {
      expect(await list('userName sw "O"')).toEqual(await list('userName sw O'));
      expect(await list('name.familyName eq "Employee"')).toEqual(await list('name.familyName eq Employee'));
    });

    it.each(['userName eq', 'userName eq and active eq true', 'name.familyName eq Van Der Berg', 'active eq yes', 'meta.created gt yesterday'])(
      'still answers the ambiguous %s with 400 invalidFilter',
      async (filter) => {
        const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter', detail: expect.any(String) });
      },
    );
  });

  describe('attributes and excludedAttributes with a value filter', () => {
    const q = encodeURIComponent('emails[type eq "work"]');

    it('returns only the asked attribute for attributes=emails[type eq "work"], on a list and by id', async () => {
      const listed = await c.get(`/Users?filter=${encodeURIComponent('userName eq "Olivia@example.com"')}&attributes=${q}`);
      expect(listed.status).toBe(200);
      expect(listed.body.totalResults).toBe(1);
      const byId = await c.get(`/Users/${id.olivia}?attributes=${q}`);
      expect(byId.status).toBe(200);
      for (const body of [listed.body.Resources[0], byId.body]) {
        expect(body).toEqual({
          schemas: [USER_URN, ENTERPRISE_URN],
          id: id.olivia,
          emails: [
            { value: 'olivia@work.example', type: 'work', primary: true },
            { value: 'olivia@home.example', type: 'home' },
          ],
        });
      }
    });

    it('leaves out only that attribute for excludedAttributes=emails[type eq "work"]', async () => {
      const full = await c.get(`/Users/${id.olivia}`);
      const res = await c.get(`/Users/${id.olivia}?excludedAttributes=${q}`);
      expect(res.status).toBe(200);
      const { emails: _emails, ...rest } = JSON.parse(bytesOf(full));
      expect(JSON.parse(bytesOf(res))).toEqual(rest);
    });

    it('answers a malformed value filter in attributes with 400 invalidFilter', async () => {
      const res = await c.get(`/Users/${id.olivia}?attributes=${encodeURIComponent('emails[type eq "work"')}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter', detail: expect.any(String) });
    });
  });

  const patch = (userId: string, ...Operations: unknown[]) => c.patch(`/Users/${userId}`, { schemas: [PATCH_URN], Operations });

  describe('a PATCH value that names no sub-attribute', () => {
    it.each([
      { op: 'replace', path: 'name', value: {} },
      { op: 'replace', value: { name: {} } },
      { op: 'add', path: 'name', value: {} },
      { op: 'Replace', path: 'manager', value: {} },
      { op: 'replace', path: `${ENTERPRISE_URN}:manager`, value: {} },
      { op: 'replace', value: { [`${ENTERPRISE_URN}:manager`]: {} } },
      { op: 'replace', path: ENTERPRISE_URN, value: { manager: {} } },
      { op: 'replace', path: 'addresses[type eq "work"]', value: {} },
    ])('leaves name, manager and the version byte for byte unchanged for %j', async (op) => {
      const before = await c.get(`/Users/${id.olivia}`);
      expect(before.body.name).toEqual({ givenName: 'Olivia', familyName: 'Employee' });
      expect(before.body[ENTERPRISE_URN].manager).toMatchObject({ value: id.bob });
      const res = await patch(id.olivia, op);
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe(before.headers.etag);
      const after = await c.get(`/Users/${id.olivia}`);
      expect(bytesOf(after)).toBe(bytesOf(before));
      expect(after.headers.etag).toBe(before.headers.etag);
    });

    it.each([
      { op: 'replace', path: 'name', value: { nosuch: 'x' } },
      { op: 'replace', value: { name: { nosuch: 'x' } } },
      { op: 'Replace', path: 'manager', value: { id: 'someone' } },
    ])('answers %j, which names only unknown sub-attributes, with 400 invalidPath and changes nothing', async (op) => {
      const before = await c.get(`/Users/${id.olivia}`);
      const res = await patch(id.olivia, op);
      expect(res.body).toEqual({ schemas: [ERROR_URN], status: '400', scimType: 'invalidPath', detail: expect.any(String) });
      expect(bytesOf(await c.get(`/Users/${id.olivia}`))).toBe(bytesOf(before));
    });
  });

  describe('JavaScript prototype names', () => {
    it.each([
      'constructor eq "x"',
      '__proto__ eq "x"',
      'prototype eq "x"',
      'toString pr',
      'hasOwnProperty eq "x"',
      'valueOf eq "x"',
      'name.constructor eq "x"',
      'emails[__proto__ eq "x"]',
      'emails[constructor eq "x"]',
      'title pr constructor title pr',
    ])('answers the filter %s with 400 invalidFilter, by GET and by .search', async (filter) => {
      const error = { schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter', detail: expect.any(String) };
      const got = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(got.status).toBe(400);
      expect(got.body).toEqual(error);
      const searched = await c.post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter });
      expect(searched.body).toEqual(error);
    });

    it('answers a group filter on members[constructor eq "x"] with 400 invalidFilter', async () => {
      const res = await c.get(`/Groups?filter=${encodeURIComponent('members[constructor eq "x"]')}`);
      expect(res.body).toEqual({ schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter', detail: expect.any(String) });
    });

    // Sent as JSON text: a JavaScript object literal would turn "__proto__" into a prototype, not a key.
    it.each([
      '{"op":"replace","path":"__proto__","value":{"x":1}}',
      '{"op":"replace","path":"constructor","value":"x"}',
      '{"op":"add","path":"prototype","value":"x"}',
      '{"op":"add","path":"name.__proto__","value":"x"}',
      '{"op":"replace","path":"name.constructor","value":"x"}',
      '{"op":"replace","path":"emails[constructor eq \\"x\\"].value","value":"x"}',
      '{"op":"add","path":"emails[__proto__ eq \\"x\\"]","value":{"value":"x"}}',
      `{"op":"replace","path":"${ENTERPRISE_URN}:manager.__proto__","value":"x"}`,
      '{"op":"add","value":{"__proto__":{"x":1}}}',
      '{"op":"add","value":{"constructor":{"x":1}}}',
      '{"op":"replace","value":{"toString":"x","hasOwnProperty":"y"}}',
      '{"op":"replace","value":{"valueOf":"x"}}',
      '{"op":"replace","path":"name","value":{"__proto__":{"x":1}}}',
      '{"op":"remove","path":"__proto__"}',
    ])('answers the PATCH operation %s with 400 invalidPath and leaves the user unchanged', async (op) => {
      for (const userId of [id.olivia, id.oscar]) {
        const before = await c.get(`/Users/${userId}`);
        const res = await c.raw('patch', `/Users/${userId}`, `{"schemas":["${PATCH_URN}"],"Operations":[${op}]}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ schemas: [ERROR_URN], status: '400', scimType: 'invalidPath', detail: expect.any(String) });
        const after = await c.get(`/Users/${userId}`);
        expect(bytesOf(after)).toBe(bytesOf(before));
      }
    });

    const prototypeKeys = '"__proto__":{"polluted":true},"constructor":{"x":1},"toString":"x","valueOf":"x","hasOwnProperty":"x","prototype":"x"';
    const storedKeysOf = async (userId: string) => {
      const doc = (await h.c.models.users.collection.findOne({ _id: userId } as never)) as Record<string, unknown>;
      return JSON.stringify(doc);
    };

    it('stores none of them from a POST body, at the top level, inside a complex value or in the extension', async () => {
      const res = await c.raw('post', '/Users', `{"schemas":["${USER_URN}","${ENTERPRISE_URN}"],"userName":"proto@example.com",${prototypeKeys},
        "name":{"givenName":"Pat",${prototypeKeys}},"${ENTERPRISE_URN}":{"department":"Ops",${prototypeKeys}}}`);
      expect(res.status).toBe(201);
      const got = await c.get(`/Users/${res.body.id}`);
      expect(got.body).toEqual({
        schemas: [USER_URN, ENTERPRISE_URN],
        id: res.body.id,
        userName: 'proto@example.com',
        name: { givenName: 'Pat' },
        active: true,
        [ENTERPRISE_URN]: { department: 'Ops' },
        meta: expect.any(Object),
      });
      expect(await storedKeysOf(res.body.id)).not.toMatch(/polluted|"(?:__proto__|constructor|toString|valueOf|hasOwnProperty|prototype|Object|undefined)"/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('stores none of them from a PUT body', async () => {
      const res = await c.raw('put', `/Users/${id.oscar}`, `{"schemas":["${USER_URN}"],"userName":"oscar@example.org",${prototypeKeys},"name":{"familyName":"Grouch",${prototypeKeys}}}`);
      expect(res.status).toBe(200);
      expect(res.body.name).toEqual({ familyName: 'Grouch' });
      expect(await storedKeysOf(id.oscar)).not.toMatch(/polluted|"(?:__proto__|constructor|toString|valueOf|hasOwnProperty|prototype|Object|undefined)"/);
    });
  });
});
