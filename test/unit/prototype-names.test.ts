import { applyPatch } from '../../src/scim/apply-patch';
import { normalizeGroup, normalizeUser } from '../../src/scim/normalize-resource';
import { InvalidRequest } from '../../src/shared/errors';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

const user = () => ({
  userName: 'ann@example.com',
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [{ value: 'ann@work.example', type: 'work' }],
  [EXT]: { manager: { value: 'm1' } },
});

/**
 * Bodies are built from JSON text, as express.json builds them: JSON.parse makes `"__proto__"` an
 * own key, where an object literal would set the prototype instead.
 */
const fromJson = (text: string) => JSON.parse(text) as Record<string, unknown>;
const patchBody = (op: string) => fromJson(`{"schemas":["${PATCH}"],"Operations":[${op}]}`);

function failure(fn: () => unknown): { scimType: string; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequest) return { scimType: err.scimType, message: err.message };
    throw err;
  }
  return undefined;
}

describe('JavaScript prototype names in PATCH', () => {
  const inputs = PROTOTYPE_NAMES.flatMap((name) => [
    `{"op":"replace","path":"${name}","value":"x"}`,
    `{"op":"add","path":"name.${name}","value":"x"}`,
    `{"op":"replace","path":"emails[${name} eq \\"x\\"].value","value":"x"}`,
    `{"op":"add","path":"emails[type eq \\"work\\"].${name}","value":"x"}`,
    `{"op":"replace","path":"${EXT}:${name}","value":"x"}`,
    `{"op":"replace","path":"${EXT}:manager.${name}","value":"x"}`,
    `{"op":"remove","path":"${name}"}`,
    `{"op":"add","value":{"${name}":{"x":1}}}`,
    `{"op":"replace","value":{"name.${name}":"x"}}`,
    `{"op":"replace","path":"name","value":{"${name}":{"x":1}}}`,
    `{"op":"replace","path":"${EXT}","value":{"${name}":"x"}}`,
  ]);

  it.each(inputs)('answers %s with invalidPath and changes nothing', (op) => {
    const before = user();
    // Every filtered path must be refused even when there is no value to match (the Entra "create" branch).
    for (const resource of [before, { userName: 'bob@example.com' }]) {
      expect(failure(() => applyPatch(resource, patchBody(op), { schema: 'User', provider: 'entra' }))).toEqual({
        scimType: 'invalidPath',
        message: expect.any(String),
      });
    }
    expect(before).toEqual(user());
    expect(Object.getPrototypeOf(before)).toBe(Object.prototype);
  });

  it('answers a prototype name in a group PATCH with invalidPath', () => {
    expect(failure(() => applyPatch({ displayName: 'G' }, patchBody('{"op":"add","value":{"constructor":"x"}}'), { schema: 'Group', provider: 'okta' }))?.scimType).toBe('invalidPath');
  });

  it('never lets a prototype name inside a value next to known sub-attributes reach the stored resource', () => {
    const out = applyPatch(user(), patchBody('{"op":"replace","path":"name","value":{"givenName":"Anne","__proto__":{"polluted":1},"constructor":"x"}}'), {
      schema: 'User',
      provider: 'generic',
    });
    expect(out.name).toEqual({ givenName: 'Anne', familyName: 'Lee' });
    expect(Object.keys(out.name as object)).toEqual(['givenName', 'familyName']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('JavaScript prototype names in POST and PUT bodies', () => {
  it('stores none of them, at the top level, in the extension or inside a complex value', () => {
    const fields = PROTOTYPE_NAMES.map((n) => `"${n}":{"x":1}`).join(',');
    const body = fromJson(`{"schemas":["${USER}","${EXT}"],"userName":"ann@example.com",${fields},
      "name":{"givenName":"Ann",${fields}},"emails":[{"value":"a@b.example",${fields}}],"${EXT}":{"department":"R&D",${fields}}}`);
    const attrs = normalizeUser(body, { provider: 'entra' });
    expect(attrs).toEqual({
      schemas: [USER, EXT],
      userName: 'ann@example.com',
      name: { givenName: 'Ann' },
      emails: [{ value: 'a@b.example' }],
      [EXT]: { department: 'R&D' },
    });
    expect(Object.keys(attrs).filter((k) => PROTOTYPE_NAMES.includes(k) || k === 'Object' || k === 'undefined')).toEqual([]);
  });

  it('answers a body whose extension-looking key is "constructor" as an ignored unknown attribute, not a failure', () => {
    const body = fromJson(`{"schemas":["${GROUP}"],"displayName":"G","constructor":{"a":1},"__proto__":"x"}`);
    expect(normalizeGroup(body, { provider: 'generic' })).toEqual({ schemas: [GROUP], displayName: 'G' });
  });
});
