import type { MemberDelta } from '../directory/group.service';
import { InvalidRequest } from '../shared/errors';
import { MAX_ID_LENGTH, MAX_INDEXED_TEXT } from '../shared/input-limits';

// Length limits on what the directory indexes, checked on the final attributes of every write: after
// normalizing a POST or PUT and after applying a PATCH, so no path (Bulk included) stores a longer one.

const USER_LIMITED = ['userName', 'externalId', 'displayName'];
const GROUP_LIMITED = ['displayName', 'externalId'];

export function checkUserLimits<T extends Record<string, unknown>>(attrs: T): T {
  return checkLimited(attrs, USER_LIMITED);
}

export function checkGroupLimits<T extends object>(attrs: T): T {
  checkLimited(attrs as Record<string, unknown>, GROUP_LIMITED);
  const members = (attrs as { members?: unknown }).members;
  if (Array.isArray(members)) members.forEach((m, i) => checkMemberId((m as { value?: unknown })?.value, `members[${i}].value`));
  return attrs;
}

/** Member ids in a PATCH delta: one longer than any id we issue cannot name a member. */
export function checkMemberDelta(delta: MemberDelta): void {
  delta.add.forEach((m, i) => checkMemberId(typeof m === 'string' ? m : m.value, `members added[${i}].value`));
  delta.remove.forEach((id, i) => checkMemberId(id, `members removed[${i}].value`));
}

function checkMemberId(id: unknown, where: string): void {
  if (typeof id === 'string' && id.length > MAX_ID_LENGTH) {
    throw new InvalidRequest(`${where} is ${id.length} characters long; no resource has an id longer than ${MAX_ID_LENGTH}`, 'invalidValue');
  }
}

function checkLimited<T extends Record<string, unknown>>(attrs: T, names: string[]): T {
  for (const [key, value] of Object.entries(attrs)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name && typeof value === 'string') checkIndexedText(name, value);
  }
  return attrs;
}

function checkIndexedText(name: string, value: string): void {
  const { characters: maxChars, utf8Bytes: maxBytes } = MAX_INDEXED_TEXT;
  // Cheap bound first: a string of at most maxChars UTF-16 units cannot be too long in characters.
  const chars = value.length <= maxChars ? value.length : codePoints(value);
  // The lower-cased key is indexed too, and lower-casing can grow a string (U+0130 is 2 bytes, "i̇" 3).
  const bytes = Math.max(Buffer.byteLength(value, 'utf8'), Buffer.byteLength(value.toLowerCase(), 'utf8'));
  if (chars > maxChars || bytes > maxBytes) {
    throw new InvalidRequest(
      `${name} is ${chars} characters (${bytes} bytes of UTF-8) long; at most ${maxChars} characters and ${maxBytes} bytes are accepted`,
      'invalidValue',
    );
  }
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes the pair its high surrogate counted
  }
  return n;
}
