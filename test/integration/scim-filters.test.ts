import { ENTERPRISE_URN, GROUP_URN, newUser, startHarness, type Harness, type ScimClient } from '../support/harness';
import { elemMatchRunsOnServer, userNamesByExactQuery } from '../support/exact-filter';

/** Each filter runs against the real database, so translation and server behaviour are tested together. */
describe('SCIM filters on the MongoDB-wire server', () => {
  let h: Harness;
  let c: ScimClient;
  let before: string;
  let directoryId: string;
  let exactElemMatch: boolean;

  beforeAll(async () => {
    h = await startHarness();
    const dir = await h.directory('entra');
    directoryId = dir.directoryId;
    exactElemMatch = await elemMatchRunsOnServer(h);
    c = h.as(dir);
    before = new Date(Date.now() - 1000).toISOString();
    await c.post('/Users', newUser('Ann.Lee@Example.com', {
      title: 'Engineer',
      emails: [
        { value: 'ann@work.example', type: 'work', primary: true },
        { value: 'ann@home.example', type: 'home' },
      ],
      [ENTERPRISE_URN]: { department: 'R&D', employeeNumber: '100' },
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_URN],
    }));
    await c.post('/Users', newUser('bob@example.com', {
      active: false,
      emails: [{ value: 'bob@home.example', type: 'home' }],
      [ENTERPRISE_URN]: { department: 'Sales', employeeNumber: '200' },
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_URN],
    }));
    await c.post('/Users', newUser('carol.(test)+1@example.org', { title: 'Manager', externalId: 'EXT-C' }));
    const bob = (await c.get('/Users?filter=userName eq "bob@example.com"')).body.Resources[0].id;
    await c.post('/Groups', { schemas: [GROUP_URN], displayName: 'Sales Team', members: [{ value: bob }] });
  });
  afterAll(async () => h.close());

  const names = async (filter: string) => {
    // MongoDB path on FerretDB: the exact $elemMatch is judged by MongoDB's semantics (support/exact-filter.ts).
    if (filter.includes('[') && !exactElemMatch) return userNamesByExactQuery(h, directoryId, filter);
    const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(200);
    return res.body.Resources.map((r: { userName: string }) => r.userName).sort();
  };

  it.each([
    ['userName eq "ann.lee@example.com"', ['Ann.Lee@Example.com']],
    ['USERNAME EQ "ANN.LEE@EXAMPLE.COM"', ['Ann.Lee@Example.com']],
    ['userName ne "bob@example.com"', ['Ann.Lee@Example.com', 'carol.(test)+1@example.org']],
    ['userName co "(test)+"', ['carol.(test)+1@example.org']],
    ['userName sw "ANN"', ['Ann.Lee@Example.com']],
    ['userName ew ".org"', ['carol.(test)+1@example.org']],
    ['userName gt "b"', ['bob@example.com', 'carol.(test)+1@example.org']],
    ['userName le "bob@example.com"', ['Ann.Lee@Example.com', 'bob@example.com']],
    ['title pr', ['Ann.Lee@Example.com', 'carol.(test)+1@example.org']],
    ['not (title pr)', ['bob@example.com']],
    ['title eq "engineer"', ['Ann.Lee@Example.com']],
    ['externalId eq "EXT-C"', ['carol.(test)+1@example.org']],
    ['externalId eq "ext-c"', []],
    ['active eq false', ['bob@example.com']],
    ['active eq True', ['Ann.Lee@Example.com', 'carol.(test)+1@example.org']],
    ['emails[type eq "work" and value co "@work"]', ['Ann.Lee@Example.com']],
    ['emails[type eq "home" and value co "@work"]', []],
    ['emails.value ew "home.example"', ['Ann.Lee@Example.com', 'bob@example.com']],
    ['emails co "bob@"', ['bob@example.com']],
    ['name.givenName eq "test" and active eq true', ['Ann.Lee@Example.com', 'carol.(test)+1@example.org']],
    ['title eq "Manager" or active eq false', ['bob@example.com', 'carol.(test)+1@example.org']],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"', ['Ann.Lee@Example.com']],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ge "150"', ['bob@example.com']],
    ['meta.lastModified gt "2000-01-01T00:00:00Z"', ['Ann.Lee@Example.com', 'bob@example.com', 'carol.(test)+1@example.org']],
    ['meta.created lt "2000-01-01T00:00:00Z"', []],
    ['userName eq "\\" or 1==1"', []],
    ['userName eq ".*"', []],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('finds users changed since a moment (Entra delta query)', async () => {
    expect(await names(`active eq true and (meta.lastModified ge "${before}" and meta.lastModified le "2999-01-01T00:00:00Z")`)).toHaveLength(2);
  });

  it('finds the groups a user is in by members.value and members[value eq]', async () => {
    const bob = (await c.get('/Users?filter=userName eq "bob@example.com"')).body.Resources[0].id;
    for (const f of [`members.value eq "${bob}"`, `members[value eq "${bob}"]`]) {
      const res = await c.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent(f)}`);
      expect(res.body.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(['Sales Team']);
    }
  });

  it('finds groups by displayName in any case', async () => {
    const res = await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "sales team"')}`);
    expect(res.body.totalResults).toBe(1);
  });

  it('sorts by userName without regard to case, both ways', async () => {
    const asc = await c.get('/Users?sortBy=userName');
    expect(asc.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(['Ann.Lee@Example.com', 'bob@example.com', 'carol.(test)+1@example.org']);
    const desc = await c.get('/Users?sortBy=userName&sortOrder=descending');
    expect(desc.body.Resources[0].userName).toBe('carol.(test)+1@example.org');
  });

  it.each([
    'userName eq',
    'nosuch eq "x"',
    'password eq "x"',
    'active gt true',
    'meta.created gt "yesterday"',
    'emails[type eq "work"',
  ])('answers %s with 400 invalidFilter', async (filter) => {
    const res = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe('invalidFilter');
  });
});
