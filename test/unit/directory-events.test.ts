import {
  bindingEvent,
  changedAttributes,
  groupMembersChanged,
  groupUpdated,
  scimOrigin,
  userCreated,
  userDeleted,
  userUpdated,
  MEMBERS_PER_EVENT,
} from '../../src/events/directory-events';
import { eventId } from '../../src/events/event-ids';
import type { GroupDoc, UserDoc } from '../../src/directory/models';

const at = new Date('2024-05-01T10:00:00.000Z');
const origin = scimOrigin({ orgId: 'o1', directoryId: 'd1', requestId: 'req-1' }, null, at);

const user = (over: Partial<UserDoc> = {}): UserDoc => ({
  _id: 'u1',
  orgId: 'o1',
  directoryId: 'd1',
  userName: 'ada@example.com',
  userNameKey: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', primary: true }],
  passwordHash: 'secret-hash',
  version: 1,
  createdAt: at,
  lastModifiedAt: at,
  ...over,
});

const group = (over: Partial<GroupDoc> = {}): GroupDoc => ({
  _id: 'g1', orgId: 'o1', directoryId: 'd1', displayName: 'Eng', displayNameKey: 'eng', memberCount: 0, version: 4, createdAt: at, lastModifiedAt: at, ...over,
});

describe('user events', () => {
  it('user.created carries the user as SCIM shows it, without the password, from the directory that wrote it', () => {
    expect(userCreated(origin, user())).toEqual([
      {
        _id: eventId('user.created', 'u1'),
        type: 'user.created',
        orgId: 'o1',
        directoryId: 'd1',
        subject: { type: 'user', id: 'u1' },
        changeId: null,
        requestId: 'req-1',
        actor: { type: 'directory', id: 'd1' },
        occurredAt: at,
        data: { id: 'u1', userName: 'ada@example.com', active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: 'ada@example.com', primary: true }] },
      },
    ]);
  });

  it('user.updated lists only the changed attributes in previous, null for one that was absent', () => {
    const [e] = userUpdated(origin, user(), user({ version: 2, name: { givenName: 'Ada', familyName: 'King' }, title: 'Countess' }));
    expect(e._id).toBe(eventId('user.updated', 'u1', 2));
    expect(e.data.previous).toEqual({ name: { givenName: 'Ada', familyName: 'Lovelace' }, title: null });
    expect(e.data.title).toBe('Countess');
  });

  it('a change of active alone is user.deactivated or user.reactivated, with no user.updated', () => {
    expect(userUpdated(origin, user(), user({ version: 2, active: false })).map((e) => e.type)).toEqual(['user.deactivated']);
    expect(userUpdated(origin, user({ active: false }), user({ version: 3 })).map((e) => [e.type, e._id])).toEqual([['user.reactivated', eventId('user.reactivated', 'u1', 3)]]);
  });

  it('a change of active and another attribute is user.updated, then the status event a millisecond later', () => {
    const events = userUpdated(origin, user(), user({ version: 2, active: false, title: 'x' }));
    expect(events.map((e) => e.type)).toEqual(['user.updated', 'user.deactivated']);
    expect(events[0].data.previous).toEqual({ title: null });
    expect(events[1].occurredAt.getTime()).toBe(at.getTime() + 1);
  });

  it('a password change alone (or nothing) is no event', () => {
    expect(userUpdated(origin, user(), user({ version: 2, passwordHash: 'other' }))).toEqual([]);
  });

  it('puts the enterprise extension under enterprise (a field name may not hold the URN\'s dots)', () => {
    const [e] = userCreated(origin, user({ enterprise: { department: 'R&D' } }));
    expect(e.data.enterprise).toEqual({ department: 'R&D' });
    expect(Object.keys(e.data).some((k) => k.includes('.'))).toBe(false);
    const [u] = userUpdated(origin, user({ enterprise: { department: 'R&D' } }), user({ version: 2, enterprise: { department: 'Ops' } }));
    expect(u.data.previous).toEqual({ enterprise: { department: 'R&D' } });
  });

  it('user.deleted names the user by id, userName and externalId', () => {
    expect(userDeleted(origin, user({ externalId: 'ext-1' }))[0].data).toEqual({ id: 'u1', userName: 'ada@example.com', externalId: 'ext-1' });
  });

  it('compares attributes structurally', () => {
    expect(changedAttributes({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({});
    expect(changedAttributes({ a: 1 }, {})).toEqual({ a: 1 });
  });
});

describe('group events', () => {
  it('a rename is group.updated with the old displayName in previous, named by the new version', () => {
    expect(groupUpdated(origin, group(), { _id: 'g1', displayName: 'Engineering' }, 5)).toEqual([
      expect.objectContaining({ _id: eventId('group.updated', 'g1', 5), type: 'group.updated', data: { id: 'g1', displayName: 'Engineering', previous: { displayName: 'Eng' } } }),
    ]);
    expect(groupUpdated(origin, group(), { _id: 'g1', displayName: 'Eng' }, 5)).toEqual([]);
  });

  it('members are one removed and one added event per write, removals first', () => {
    const events = groupMembersChanged(origin, 'g1', 5, [{ memberId: 'u2', memberType: 'User' }, { memberId: 'g9', memberType: 'Group' }], [{ memberId: 'u3', memberType: 'User' }]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['group.members.removed', { groupId: 'g1', members: [{ type: 'user', id: 'u3' }], count: 1, part: 1, parts: 1 }],
      ['group.members.added', { groupId: 'g1', members: [{ type: 'user', id: 'u2' }, { type: 'group', id: 'g9' }], count: 2, part: 1, parts: 1 }],
    ]);
    expect(groupMembersChanged(origin, 'g1', 5, [], [])).toEqual([]);
  });

  it('splits a long member list into parts of at most 1,000, each with its own deterministic id', () => {
    const many = Array.from({ length: 2 * MEMBERS_PER_EVENT + 1 }, (_, i) => ({ memberId: `u${i}`, memberType: 'User' as const }));
    const events = groupMembersChanged(origin, 'g1', 7, many, []);
    expect(events.map((e) => [e._id, e.data.count, e.data.part, e.data.parts])).toEqual([
      [eventId('group.members.added', 'g1', 7, 1), 1000, 1, 3],
      [eventId('group.members.added', 'g1', 7, 2), 1000, 2, 3],
      [eventId('group.members.added', 'g1', 7, 3), 1, 3, 3],
    ]);
    // The log orders by occurredAt: parts a millisecond apart keep their order.
    expect(events.map((e) => e.occurredAt.getTime() - at.getTime())).toEqual([0, 1, 2]);
  });
});

describe('binding events', () => {
  it('carry principal, scope, project and role, named by the binding id, by the admin key that wrote them', () => {
    const o = { orgId: 'o1', actor: { type: 'adminKey' as const, id: 'k1', name: 'ops' }, requestId: 'r2', changeId: 'c1', at };
    const [e] = bindingEvent(o, 'binding.created', { id: 'b1', principal: { type: 'group', id: 'g1', display: 'Eng' }, scope: { type: 'project', projectId: 'p1' }, role: { id: 'preset:project-member', name: 'Project member' } });
    expect(e).toEqual({
      _id: eventId('binding.created', 'b1'),
      type: 'binding.created',
      orgId: 'o1',
      subject: { type: 'binding', id: 'b1' },
      changeId: 'c1',
      requestId: 'r2',
      actor: { type: 'adminKey', id: 'k1', name: 'ops' },
      occurredAt: at,
      data: { id: 'b1', principal: { type: 'group', id: 'g1', display: 'Eng' }, scope: { type: 'project', projectId: 'p1' }, projectId: 'p1', role: { id: 'preset:project-member', name: 'Project member' } },
    });
  });
});
