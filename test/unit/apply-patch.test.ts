import { applyPatch } from '../../src/scim/apply-patch';
import { splitGroupPatch } from '../../src/scim/group-member-patch';
import { scimTypeOf } from '../support/scim-type';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const body = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
const user = () => ({
  userName: 'ann@example.com',
  active: true,
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [
    { value: 'ann@home.example', type: 'home', primary: true },
    { value: 'ann@other.example', type: 'other' },
  ],
});
const patchUser = (provider: 'generic' | 'entra' | 'okta', ...ops: unknown[]) =>
  applyPatch(user(), body(...ops), { schema: 'User', provider });


describe('applyPatch (RFC 7644 section 3.5.2)', () => {
  it('replaces a simple attribute and accepts op names in any case', () => {
    expect(patchUser('generic', { op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
  });

  it('merges sub-attributes of a complex attribute on replace without a sub-path', () => {
    expect(patchUser('generic', { op: 'replace', path: 'name', value: { givenName: 'Anne' } }).name).toEqual({ givenName: 'Anne', familyName: 'Lee' });
  });

  it('applies a path-less value whose keys are attribute paths, including URN-qualified ones', () => {
    const out = patchUser('entra', { op: 'Replace', value: { 'name.givenName': 'X', [`${EXT}:employeeNumber`]: 7, ActiVe: 'false' } });
    expect(out).toMatchObject({ name: { givenName: 'X', familyName: 'Lee' }, active: false, [EXT]: { employeeNumber: '7' } });
  });

  it('updates the matching value of a filtered path', () => {
    const out = patchUser('generic', { op: 'replace', path: 'emails[type eq "home"].value', value: 'new@home.example' });
    expect(out.emails).toEqual([
      { value: 'new@home.example', type: 'home', primary: true },
      { value: 'ann@other.example', type: 'other' },
    ]);
  });

  it('answers noTarget for a replace matching nothing in a generic directory, but creates the value for Entra', () => {
    const op = { op: 'replace', path: 'emails[type eq "work"].value', value: 'ann@work.example' };
    expect(scimTypeOf(() => patchUser('generic', op))).toBe('noTarget');
    expect(patchUser('entra', op).emails).toContainEqual({ type: 'work', value: 'ann@work.example' });
  });

  it('creates a value for add with a filter that matches nothing, in every mode', () => {
    const out = patchUser('generic', { op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555' });
    expect(out.phoneNumbers).toEqual([{ type: 'work', value: '+1 555' }]);
  });

  it('keeps one primary: a new primary value un-marks the old one', () => {
    const out = patchUser('generic', { op: 'add', path: 'emails', value: [{ value: 'ann@work.example', type: 'work', primary: true }] });
    expect(out.emails).toEqual([
      { value: 'ann@home.example', type: 'home', primary: false },
      { value: 'ann@other.example', type: 'other' },
      { value: 'ann@work.example', type: 'work', primary: true },
    ]);
  });

  it('does not duplicate a value added twice', () => {
    const out = patchUser('generic', { op: 'add', path: 'emails', value: [{ value: 'ann@other.example', type: 'other' }] });
    expect(out.emails).toHaveLength(2);
  });

  it('reads roles[primary eq "True"] as the boolean primary', () => {
    const out = patchUser('entra', { op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' });
    expect(out.roles).toEqual([{ primary: true, value: 'Admin' }]);
  });

  it('sets the manager from a plain id, a one-element array, or the bare path', () => {
    for (const op of [
      { op: 'Replace', path: `${EXT}:manager`, value: 'm1' },
      { op: 'Replace', path: 'manager', value: [{ value: 'm1' }] },
      { op: 'add', path: `${EXT}:manager.value`, value: 'm1' },
    ]) {
      expect((patchUser('entra', op) as Record<string, { manager: unknown }>)[EXT].manager).toEqual({ value: 'm1' });
    }
  });

  it('removes a filtered value and drops empty attributes', () => {
    const out = patchUser('generic', { op: 'remove', path: 'emails[type eq "home" or type eq "other"]' });
    expect(out.emails).toBeUndefined();
  });

  it('ignores a remove that matches nothing for IdP directories, and answers noTarget for generic ones', () => {
    const op = { op: 'remove', path: 'emails[type eq "work"]' };
    expect(patchUser('okta', op).emails).toHaveLength(2);
    expect(scimTypeOf(() => patchUser('generic', op))).toBe('noTarget');
  });

  it('applies all operations or none', () => {
    const before = user();
    expect(
      scimTypeOf(() =>
        applyPatch(before, body({ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'nosuch', value: 1 }), {
          schema: 'User',
          provider: 'generic',
        }),
      ),
    ).toBe('invalidPath');
    expect(before.active).toBe(true);
  });

  it.each([
    [{ op: 'replace', path: 'id', value: 'x' }, 'mutability'],
    [{ op: 'replace', path: 'groups', value: [] }, 'mutability'],
    [{ op: 'replace', path: 'meta.created', value: 'x' }, 'mutability'],
    [{ op: 'remove' }, 'noTarget'],
    [{ op: 'replace', path: 'name.nosuch', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'active[value eq "x"]', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'emails[type eq', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'active', value: 'maybe' }, 'invalidValue'],
    [{ op: 'remove', path: 'userName' }, 'invalidValue'],
    [{ op: 'move', path: 'active', value: true }, 'invalidSyntax'],
  ])('rejects %j with %s', (op, scimType) => {
    expect(scimTypeOf(() => patchUser('generic', op))).toBe(scimType);
  });

  it('rejects a body without the PatchOp schema', () => {
    expect(scimTypeOf(() => applyPatch(user(), { Operations: [] }, { schema: 'User', provider: 'generic' }))).toBe('invalidSyntax');
  });

  it('skips operations on vendor extensions it does not know', () => {
    const out = patchUser('okta', { op: 'replace', path: 'urn:okta:custom:1.0:user:costCode', value: 'x' });
    expect(out).toEqual(user());
  });
});

describe('splitGroupPatch', () => {
  const split = (...ops: unknown[]) => splitGroupPatch(body(...ops), { provider: 'entra' });

  it('removes only the listed members when remove on members carries a value', () => {
    expect(split({ op: 'Remove', path: 'members', value: [{ value: 'a' }] }).members).toEqual({ clear: false, add: [], remove: ['a'] });
  });

  it('clears the group for remove on members without a value', () => {
    expect(split({ op: 'remove', path: 'members' }).members.clear).toBe(true);
  });

  it('reads members[value eq "x"] and or-joined ids', () => {
    expect(split({ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }).members.remove).toEqual(['a', 'b']);
  });

  it('folds operations in order: a later add wins over an earlier remove', () => {
    const plan = split(
      { op: 'remove', path: 'members[value eq "a"]' },
      { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
      { op: 'remove', path: 'members', value: [{ value: 'b' }] },
    );
    expect(plan.members).toEqual({ clear: false, add: [{ value: 'a' }], remove: ['b'] });
  });

  it('drops the id Okta repeats in a rename and keeps displayName as an attribute operation', () => {
    const plan = split({ op: 'replace', value: { id: 'g1', displayName: 'New' } });
    expect(plan.attributeBody?.Operations).toEqual([{ op: 'replace', value: { displayName: 'New' } }]);
    expect(plan.members).toEqual({ clear: false, add: [], remove: [] });
  });

  it('replaces all members for replace on members', () => {
    expect(split({ op: 'replace', path: 'members', value: [{ value: 'c' }] }).members).toEqual({ clear: true, add: [{ value: 'c' }], remove: [] });
  });

  it('rejects a member without an id', () => {
    expect(scimTypeOf(() => split({ op: 'add', path: 'members', value: [{ display: 'x' }] }))).toBe('invalidValue');
  });
});
