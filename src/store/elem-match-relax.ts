type Query = Record<string, unknown>;

/**
 * FerretDB v1 rejects `$elemMatch` over sub-documents ("unknown operator: type"), which SCIM needs for
 * complex attribute filters such as `emails[type eq "work" and value co "@"]`. So there such a query is
 * sent in a relaxed form that matches a superset (each condition on its own dotted path), and the
 * exact query is re-checked in memory (`complex-filter.ts`). MongoDB runs the exact query.
 */
export function relaxElemMatch(query: Query): { dbQuery: Query; needsRecheck: boolean } {
  if (!containsElemMatch(query)) return { dbQuery: query, needsRecheck: false };
  const relaxed = relax(query, false);
  return { dbQuery: relaxed ?? {}, needsRecheck: true };
}

function containsElemMatch(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsElemMatch);
  if (!value || typeof value !== 'object' || value instanceof Date || value instanceof RegExp) return false;
  return Object.entries(value).some(([k, v]) => k === '$elemMatch' || containsElemMatch(v));
}

/** Returns a query matching a superset of `query`, or null for "anything" (no condition). */
function relax(query: Query, negated: boolean): Query | null {
  const parts: Query[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or') {
      const subs = (value as Query[]).map((q) => relax(q, negated));
      if (key === '$or' && subs.some((s) => s === null)) continue; // one branch matches anything
      const kept = subs.filter((s): s is Query => s !== null);
      if (kept.length) parts.push({ [key]: kept });
      continue;
    }
    if (key === '$nor') {
      // A negated superset would be a subset; keep the clause only when it has no $elemMatch.
      if (!containsElemMatch(value)) parts.push({ $nor: value });
      continue;
    }
    if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof RegExp) && containsElemMatch(value)) {
      const cond = value as Query;
      if (negated || '$not' in cond || '$ne' in cond || '$nin' in cond) continue;
      const elem = cond.$elemMatch as Query;
      const fieldParts = Object.entries(elem)
        .filter(([k]) => !k.startsWith('$'))
        .map(([k, v]) => ({ [`${key}.${k}`]: v }));
      if (fieldParts.length) parts.push({ $and: fieldParts });
      else parts.push({ [key]: { $exists: true } });
      continue;
    }
    parts.push({ [key]: value });
  }
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0] : { $and: parts };
}
