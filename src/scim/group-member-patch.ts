import type { Filter } from 'scim2-parse-filter';
import type { MemberDelta, MemberRef } from '../directory/group.service';
import type { Provider } from '../directory/models';
import { InvalidFilter, InvalidRequest } from '../shared/errors';
import { parseFilter } from './filter-to-query';
import { isObject, memberRefs } from './normalize-resource';
import { readPatchOperations, type PatchOperation } from './patch-operations';
import { PATCH_OP_URN } from './urns';

export interface GroupPatchPlan {
  /** The operations on attributes other than members, as a PatchOp body; null when there are none. */
  attributeBody: { schemas: string[]; Operations: PatchOperation[] } | null;
  members: MemberDelta;
}

const GROUP_URN_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:group:';

/**
 * Splits a group PATCH into attribute operations and a member delta, folded in request order, so
 * member changes never require loading the member list.
 *
 * `{"op":"remove","path":"members","value":[{"value":"id"}]}` removes only the listed members:
 * Entra sends it, and servers that clear the whole group on it have wiped real groups. Without a
 * value, remove on `members` clears the group (RFC 7644 section 3.5.2.2).
 */
export function splitGroupPatch(body: unknown, _opts: { provider: Provider }): GroupPatchPlan {
  const ops = readPatchOperations(body);
  const attributeOps: PatchOperation[] = [];
  const delta = new DeltaBuilder();

  ops.forEach((op, i) => {
    const where = `Operations[${i}]`;
    if (op.path === undefined) {
      if (!isObject(op.value)) throw new InvalidRequest(`${where}: without a path, value must be an object`, 'invalidValue');
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(op.value)) {
        const lower = stripCoreUrn(k.toLowerCase());
        if (lower === 'members') applyMembers(delta, op.op, v, `${where}.value.members`);
        else if (lower !== 'id') rest[k] = v; // Okta repeats the group id in every rename
      }
      if (Object.keys(rest).length) attributeOps.push({ op: op.op, value: rest });
      return;
    }
    const path = stripCoreUrn(op.path);
    const lower = path.toLowerCase();
    if (lower === 'members') return applyMembers(delta, op.op, op.value, `${where}.value`);
    if (lower.startsWith('members[')) return applyFilteredMembers(delta, op, path, where);
    if (lower.startsWith('members.')) throw new InvalidRequest(`${where}: "${op.path}" cannot be changed`, 'mutability');
    attributeOps.push(op);
  });

  return {
    attributeBody: attributeOps.length ? { schemas: [PATCH_OP_URN], Operations: attributeOps } : null,
    members: delta.result(),
  };
}

function stripCoreUrn(path: string): string {
  return path.toLowerCase().startsWith(GROUP_URN_PREFIX) ? path.slice(GROUP_URN_PREFIX.length) : path;
}

function applyMembers(delta: DeltaBuilder, op: PatchOperation['op'], value: unknown, where: string) {
  if (op === 'remove') {
    if (value === undefined || value === null) return delta.clear();
    return delta.remove(memberRefs(value, where).map((m) => m.value));
  }
  const refs = value === null ? [] : memberRefs(value, where);
  if (op === 'replace') delta.clear();
  delta.add(refs);
}

/** `members[value eq "id"]` (or several ids joined by `or`), as Okta and Entra send for removals. */
function applyFilteredMembers(delta: DeltaBuilder, op: PatchOperation, path: string, where: string) {
  const close = path.lastIndexOf(']');
  if (close < 0 || path.slice(close + 1) !== '') throw new InvalidRequest(`${where}: "${path}" is not a valid members path`, 'invalidPath');
  let filter: Filter;
  try {
    filter = parseFilter(path.slice(path.indexOf('[') + 1, close));
  } catch (err) {
    if (err instanceof InvalidFilter) throw new InvalidRequest(`${where}: ${err.message}`, 'invalidPath');
    throw err;
  }
  const ids = memberIdsOf(filter);
  if (!ids) throw new InvalidRequest(`${where}: only members[value eq "id"] filters are supported`, 'invalidPath');
  if (op.op === 'remove') return delta.remove(ids);
  throw new InvalidRequest(`${where}: "${op.op}" with a members filter is not meaningful; use add or remove on members`, 'invalidPath');
}

function memberIdsOf(filter: Filter): string[] | null {
  if (filter.op === 'eq' && filter.attrPath.toLowerCase() === 'value' && typeof filter.compValue === 'string') return [filter.compValue];
  if (filter.op === 'or') {
    const parts = filter.filters.map(memberIdsOf);
    return parts.every(Boolean) ? parts.flat() as string[] : null;
  }
  return null;
}

/** Folds member operations in order: a later operation on the same id wins. */
class DeltaBuilder {
  private cleared = false;
  private readonly adds = new Map<string, MemberRef>();
  private readonly removes = new Set<string>();

  clear() {
    this.cleared = true;
    this.adds.clear();
    this.removes.clear();
  }

  add(refs: MemberRef[]) {
    for (const r of refs) {
      this.removes.delete(r.value);
      this.adds.set(r.value, r);
    }
  }

  remove(ids: string[]) {
    for (const id of ids) {
      this.adds.delete(id);
      if (!this.cleared) this.removes.add(id);
    }
  }

  result(): MemberDelta {
    return { clear: this.cleared, add: [...this.adds.values()], remove: [...this.removes] };
  }
}
