import { parseListRequest } from '../../src/scim/list-request';
import { isRequested, project, projectionAttribute } from '../../src/scim/projection';
import { InvalidFilter } from '../../src/shared/errors';

const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const resource = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ann@example.com',
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [
    { value: 'ann@work.example', type: 'work' },
    { value: 'ann@home.example', type: 'home' },
  ],
  [EXT]: { department: 'R&D' },
});

describe('attributes and excludedAttributes with a value filter, as Microsoft\'s reference client asks', () => {
  it.each([
    ['emails[type eq "work"]', 'emails'],
    ['emails[type eq work]', 'emails'],
    ['emails[type eq "work"].value', 'emails.value'],
    ['emails[value eq "a,b]"]', 'emails'],
    [' userName ', 'userName'],
  ])('reads %s as the attribute %s', (path, attribute) => {
    expect(projectionAttribute(path)).toBe(attribute);
  });

  it.each(['emails[type eq "work"', 'emails[type eq]', 'emails[type eq "work"]x', 'emails[[type eq "work"]]'])('refuses the malformed %s with invalidFilter', (path) => {
    expect(() => projectionAttribute(path)).toThrow(InvalidFilter);
  });

  it('returns only the asked attribute, with all its values, for attributes=emails[type eq "work"]', () => {
    const list = parseListRequest({ attributes: 'emails[type eq "work"]' }, 100);
    expect(list.attributes).toEqual(['emails']);
    expect(project(resource(), list)).toEqual({ schemas: resource().schemas, id: 'u1', emails: resource().emails });
  });

  it('removes the attribute for excludedAttributes=emails[type eq "work"]', () => {
    const list = parseListRequest({ excludedAttributes: 'emails[type eq "work"],name' }, 100);
    expect(list.excludedAttributes).toEqual(['emails', 'name']);
    const { emails: _e, name: _n, ...rest } = resource();
    expect(project(resource(), list)).toEqual(rest);
  });

  it('does not split a value filter at a comma inside its quotes', () => {
    expect(parseListRequest({ attributes: 'userName,emails[value eq "a,b"].value' }, 100).attributes).toEqual(['userName', 'emails.value']);
  });

  it('reads every attribute of a SearchRequest array, not only the last', () => {
    expect(parseListRequest({ attributes: ['userName', 'emails[type eq "work"]'] }, 100).attributes).toEqual(['userName', 'emails']);
  });

  it('asks for groups when attributes names groups[...]', () => {
    expect(isRequested({ attributes: ['groups[value eq "g1"]'] }, 'groups')).toBe(true);
  });

  it('ignores prototype names as attributes it does not have', () => {
    expect(project(resource(), { attributes: ['constructor', '__proto__', 'toString'] })).toEqual({ schemas: resource().schemas, id: 'u1' });
  });
});
