import type { UserDoc } from './models';

export const ENTERPRISE_USER_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Fields of the stored user that are ours, not SCIM attributes. */
const BOOKKEEPING = new Set([
  '_id',
  'orgId',
  'directoryId',
  'userNameKey',
  'passwordHash',
  'extensionSchemas',
  'enterprise',
  'version',
  'createdAt',
  'lastModifiedAt',
]);

/**
 * The canonical SCIM attributes of a user (core attributes by name, the enterprise extension under
 * its URN), without id, meta, schemas or password. This is what the SCIM layer reads and writes.
 */
export type UserAttributes = Record<string, unknown> & { userName: string; active?: boolean };

export function attributesOfUser(doc: UserDoc): UserAttributes {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!BOOKKEEPING.has(k) && v !== undefined && v !== null) out[k] = v;
  }
  if (doc.enterprise && Object.keys(doc.enterprise).length > 0) out[ENTERPRISE_USER_URN] = doc.enterprise;
  return out as UserAttributes;
}

/** Splits SCIM attributes into the stored fields; absent attributes are absent (null means removed). */
export function storedFieldsOf(attrs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || k === 'schemas' || k === 'password' || k === 'id' || k === 'meta') continue;
    if (k === ENTERPRISE_USER_URN) {
      if (v && typeof v === 'object' && Object.keys(v).length > 0) out.enterprise = v;
      continue;
    }
    if (BOOKKEEPING.has(k)) continue;
    out[k] = v;
  }
  if (typeof out.userName === 'string') out.userNameKey = out.userName.toLowerCase();
  out.active = attrs.active === undefined ? true : Boolean(attrs.active);
  return out;
}
