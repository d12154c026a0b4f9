import type { Model } from 'mongoose';
import { distinctOf } from '../shared/mongo';
import type { MembershipDoc } from './models';

type Query = Record<string, unknown>;

/**
 * Filters on `members.value` (groups) and `groups.value` (users) cannot be answered from the
 * resource document, because memberships live in their own collection. The filter translator
 * marks them as `__members.value` / `__groups.value`; here each marked condition becomes an
 * `_id` condition over the ids the memberships collection yields.
 */
export async function resolveMembershipPlaceholders(
  query: Query,
  memberships: Model<MembershipDoc>,
  directoryId: string,
): Promise<Query> {
  if (Array.isArray(query)) {
    return (await Promise.all(query.map((q) => resolveMembershipPlaceholders(q as Query, memberships, directoryId)))) as unknown as Query;
  }
  if (!query || typeof query !== 'object' || query instanceof Date || query instanceof RegExp) return query;
  const out: Query = {};
  for (const [key, value] of Object.entries(query)) {
    if (key === '__members.value' || key === '__groups.value') {
      // members.value of a group = memberId; groups.value of a user = groupId.
      const [matchField, yieldField]: ['memberId' | 'groupId', 'memberId' | 'groupId'] = key === '__members.value' ? ['memberId', 'groupId'] : ['groupId', 'memberId'];
      const ids = await distinctOf(memberships, yieldField, { directoryId, [matchField]: value });
      out._id = mergeIdCondition(out._id, { $in: ids });
    } else if (key === '$and' || key === '$or' || key === '$nor') {
      out[key] = await resolveMembershipPlaceholders(value as Query, memberships, directoryId);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function mergeIdCondition(existing: unknown, next: { $in: string[] }): unknown {
  if (existing === undefined) return next;
  return { $in: next.$in.filter((id) => idSatisfies(existing, id)) };
}

function idSatisfies(cond: unknown, id: string): boolean {
  if (typeof cond === 'string') return cond === id;
  const c = cond as { $in?: string[] };
  return Array.isArray(c.$in) ? c.$in.includes(id) : true;
}
