import { applyPatch } from '../../src/scim/apply-patch';
import { scimTypeOf } from '../support/scim-type';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = () => ({
  userName: 'ann@example.com',
  name: { givenName: 'Ann', familyName: 'Lee' },
  addresses: [
    { type: 'work', streetAddress: '1 Main St', locality: 'Springfield' },
    { type: 'home', locality: 'Shelbyville' },
  ],
  [EXT]: { department: 'R&D', manager: { value: 'm1', displayName: 'Boss' } },
});
const patch = (provider: 'generic' | 'entra', ...Operations: unknown[]) =>
  applyPatch(user(), { schemas: [PATCH], Operations }, { schema: 'User', provider });


describe('PATCH of a complex attribute with a value that names no sub-attribute (RFC 7644 section 3.5.2.3)', () => {
  it.each([
    ['replace name with {}', { op: 'replace', path: 'name', value: {} }],
    ['add name {}', { op: 'add', path: 'name', value: {} }],
    ['replace without a path and {"name": {}}', { op: 'replace', value: { name: {} } }],
    ['Entra\'s replace of manager with {}', { op: 'Replace', path: 'manager', value: {} }],
    ['replace of the URN-qualified manager with [{}]', { op: 'replace', path: `${EXT}:manager`, value: [{}] }],
    ['replace of the extension with {"manager": {}}', { op: 'replace', path: EXT, value: { manager: {} } }],
    ['replace without a path and the URN-qualified manager key', { op: 'replace', value: { [`${EXT}:manager`]: {} } }],
    ['replace of the work address element with {}', { op: 'replace', path: 'addresses[type eq "work"]', value: {} }],
    ['add to the work address element with {}', { op: 'add', path: 'addresses[type eq "work"]', value: {} }],
    ['replace of addresses with [{}]', { op: 'replace', path: 'addresses', value: [{}] }],
  ])('leaves the resource unchanged for %s', (_what, op) => {
    expect(patch('entra', op)).toEqual(user());
    expect(patch('generic', op)).toEqual(user());
  });

  it.each([
    ['replace name with {"nosuch": "x"}', { op: 'replace', path: 'name', value: { nosuch: 'x' } }],
    ['replace without a path and {"name": {"nosuch": "x"}}', { op: 'replace', value: { name: { nosuch: 'x' } } }],
    ['replace of manager with {"id": "m2"}', { op: 'replace', path: 'manager', value: { id: 'm2' } }],
    ['replace of the work address with {"street": "x"}', { op: 'replace', path: 'addresses[type eq "work"]', value: { street: 'x' } }],
  ])('answers %s, which names only unknown sub-attributes, with invalidPath', (_what, op) => {
    expect(scimTypeOf(() => patch('entra', op))).toBe('invalidPath');
  });

  it('still merges the known sub-attributes and ignores unknown ones next to them', () => {
    expect(patch('generic', { op: 'replace', path: 'name', value: { givenName: 'Anne', nosuch: 'x' } }).name).toEqual({ givenName: 'Anne', familyName: 'Lee' });
  });

  it('unassigns only a sub-attribute replaced with null and keeps the others', () => {
    expect(patch('generic', { op: 'replace', path: 'name', value: { givenName: null } }).name).toEqual({ familyName: 'Lee' });
  });

  it('still clears the manager for Entra\'s null value and an explicit remove', () => {
    expect((patch('entra', { op: 'Replace', path: 'manager', value: null }) as Record<string, object>)[EXT]).toEqual({ department: 'R&D' });
    expect((patch('entra', { op: 'Remove', path: `${EXT}:manager` }) as Record<string, object>)[EXT]).toEqual({ department: 'R&D' });
  });

  it('still answers noTarget for {} on a filter matching nothing in a generic directory', () => {
    expect(scimTypeOf(() => patch('generic', { op: 'replace', path: 'addresses[type eq "other"]', value: {} }))).toBe('noTarget');
  });

  it('does not create an element for {} on a filter matching nothing in an Entra directory', () => {
    expect(patch('entra', { op: 'add', path: 'addresses[type eq "other"]', value: {} })).toEqual(user());
  });
});
