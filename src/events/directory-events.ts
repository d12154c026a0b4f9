// The events of directory and admin writes, as pure functions of the documents before and after the
// write: no I/O, so the services call them beside their data write and the unit tests table-test them.
import type { GroupDoc, UserDoc } from '../directory/models';
import { attributesOfUser, ENTERPRISE_USER_URN } from '../directory/user-attributes';
import { deepEqual } from '../directory/deep-equal';
import { eventId } from './event-ids';
import type { EventActor, EventDraft, EventType } from './event-types';

/** Who wrote, where, and which request: what every draft of one write shares. */
export interface WriteOrigin {
  orgId: string;
  directoryId?: string;
  actor: EventActor;
  requestId: string | null;
  /** The recorded change of this write, if it recorded one. */
  changeId: string | null;
  /** When the data write was made: the sequencer orders an organization's events by it. */
  at: Date;
}

/** A SCIM request's origin: the IdP acts through its directory's token. */
export function scimOrigin(ctx: { orgId: string; directoryId: string; requestId?: string }, changeId: string | null, at = new Date()): WriteOrigin {
  return { orgId: ctx.orgId, directoryId: ctx.directoryId, actor: { type: 'directory', id: ctx.directoryId }, requestId: ctx.requestId || null, changeId, at };
}

/** Members per group.members.* event: a 20,000-member PUT becomes 20 events, each body a few tens of KB. */
export const MEMBERS_PER_EVENT = 1000;

function draft(o: WriteOrigin, type: EventType, id: string, subject: EventDraft['subject'], data: Record<string, unknown>, at = o.at): EventDraft {
  return {
    _id: id,
    type,
    orgId: o.orgId,
    ...(o.directoryId ? { directoryId: o.directoryId } : {}),
    subject,
    changeId: o.changeId,
    requestId: o.requestId,
    actor: o.actor,
    data,
    occurredAt: at,
  };
}

/**
 * The user's SCIM attributes, never the password. The enterprise extension is under `enterprise`,
 * not its URN: the URN holds dots, which a stored field name may not (FerretDB refuses them).
 */
export function userData(u: UserDoc): Record<string, unknown> {
  return { id: u._id, ...eventAttributes(u) };
}

function eventAttributes(u: UserDoc): Record<string, unknown> {
  const { password: _p, [ENTERPRISE_USER_URN]: enterprise, ...attrs } = attributesOfUser(u) as Record<string, unknown>;
  void _p;
  return enterprise === undefined ? attrs : { ...attrs, enterprise };
}

export function userCreated(o: WriteOrigin, u: UserDoc): EventDraft[] {
  return [draft(o, 'user.created', eventId('user.created', u._id), { type: 'user', id: u._id }, userData(u))];
}

/**
 * An update: `user.updated` when any attribute but `active` changed (with `previous`: the old value
 * of each changed attribute, null for one that was absent), and `user.deactivated` or
 * `user.reactivated` when `active` changed. Both are named by the new version, so a retried request
 * (which changes nothing the second time) never yields a second event. None when nothing changed
 * (a password change alone: the password is never shown).
 */
export function userUpdated(o: WriteOrigin, before: UserDoc, after: UserDoc): EventDraft[] {
  const previous = changedAttributes(eventAttributes(before), eventAttributes(after));
  delete previous.active;
  const out: EventDraft[] = [];
  const subject = { type: 'user' as const, id: after._id };
  if (Object.keys(previous).length > 0) {
    out.push(draft(o, 'user.updated', eventId('user.updated', after._id, after.version), subject, { ...userData(after), previous }));
  }
  if (Boolean(before.active) !== Boolean(after.active)) {
    const type = after.active ? 'user.reactivated' : 'user.deactivated';
    // A millisecond later than the update of the same write, so the log shows the profile change first.
    out.push(draft(o, type, eventId(type, after._id, after.version), subject, userData(after), new Date(o.at.getTime() + (out.length ? 1 : 0))));
  }
  return out;
}

export function userDeleted(o: WriteOrigin, u: Pick<UserDoc, '_id' | 'userName' | 'externalId'>): EventDraft[] {
  return [
    draft(o, 'user.deleted', eventId('user.deleted', u._id), { type: 'user', id: u._id }, {
      id: u._id,
      userName: u.userName,
      ...(u.externalId !== undefined ? { externalId: u.externalId } : {}),
    }),
  ];
}

/** The old values of the top-level attributes that differ (null for one that did not exist). */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!deepEqual(before[k], after[k])) out[k] = before[k] === undefined ? null : before[k];
  }
  return out;
}

function groupData(g: Pick<GroupDoc, '_id' | 'displayName' | 'externalId'>): Record<string, unknown> {
  return { id: g._id, displayName: g.displayName, ...(g.externalId !== undefined && g.externalId !== null ? { externalId: g.externalId } : {}) };
}

export function groupCreated(o: WriteOrigin, g: GroupDoc): EventDraft[] {
  return [draft(o, 'group.created', eventId('group.created', g._id), { type: 'group', id: g._id }, groupData(g))];
}

/** A rename or an externalId change (`previous` holds the old value of each that changed); none otherwise. */
export function groupUpdated(o: WriteOrigin, before: GroupDoc, after: Pick<GroupDoc, '_id' | 'displayName' | 'externalId'>, version: number): EventDraft[] {
  const previous: Record<string, unknown> = {};
  if (before.displayName !== after.displayName) previous.displayName = before.displayName;
  if ((before.externalId ?? null) !== (after.externalId ?? null)) previous.externalId = before.externalId ?? null;
  if (Object.keys(previous).length === 0) return [];
  return [draft(o, 'group.updated', eventId('group.updated', before._id, version), { type: 'group', id: before._id }, { ...groupData(after), previous })];
}

export function groupDeleted(o: WriteOrigin, g: Pick<GroupDoc, '_id' | 'displayName' | 'externalId'>): EventDraft[] {
  return [draft(o, 'group.deleted', eventId('group.deleted', g._id), { type: 'group', id: g._id }, groupData(g))];
}

export interface MemberChange {
  memberId: string;
  memberType: 'User' | 'Group';
}

/**
 * One `group.members.added` and one `group.members.removed` per write (a SCIM request, or one Bulk
 * operation), listing the members that really changed; lists longer than MEMBERS_PER_EVENT are
 * split into parts (`part` n of `parts`), each named by (group, version, part).
 */
export function groupMembersChanged(o: WriteOrigin, groupId: string, version: number, added: MemberChange[], removed: MemberChange[]): EventDraft[] {
  const out: EventDraft[] = [];
  // The log orders an organization's events by occurredAt: each part a millisecond after the one before,
  // removals first when both happen (a PUT that replaces the list).
  const side = (type: 'group.members.added' | 'group.members.removed', list: MemberChange[]) => {
    const parts = Math.ceil(list.length / MEMBERS_PER_EVENT);
    for (let p = 0; p < parts; p++) {
      const members = list.slice(p * MEMBERS_PER_EVENT, (p + 1) * MEMBERS_PER_EVENT).map((m) => ({ type: m.memberType === 'Group' ? 'group' : 'user', id: m.memberId }));
      const at = new Date(o.at.getTime() + out.length);
      out.push(draft(o, type, eventId(type, groupId, version, p + 1), { type: 'group', id: groupId }, { groupId, members, count: members.length, part: p + 1, parts }, at));
    }
  };
  side('group.members.removed', removed);
  side('group.members.added', added);
  return out;
}

/** What a binding event says about the binding (never anything secret: bindings hold none). */
export interface BindingFacts {
  id: string;
  principal: { type: 'user' | 'group' | 'serviceAccount'; id: string; display?: string };
  scope: { type: 'organization' } | { type: 'project'; projectId: string };
  role: { id: string; name?: string };
}

export function bindingEvent(o: WriteOrigin, type: 'binding.created' | 'binding.deleted', b: BindingFacts): EventDraft[] {
  const data = {
    id: b.id,
    principal: b.principal,
    scope: b.scope,
    ...(b.scope.type === 'project' ? { projectId: b.scope.projectId } : {}),
    role: b.role,
  };
  return [draft(o, type, eventId(type, b.id), { type: 'binding', id: b.id }, data)];
}

/** The event actor of an admin write's audit actor. */
export function actorOf(a: { type: 'adminKey' | 'directoryToken' | 'system'; id: string; name?: string }): EventActor {
  return { type: a.type === 'directoryToken' ? 'directory' : a.type, id: a.id, ...(a.name ? { name: a.name } : {}) };
}
