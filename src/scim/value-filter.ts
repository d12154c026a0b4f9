/** Value-selection filters (`emails[type eq "work"]`, RFC 7644 section 3.5.2) over the values of one multi-valued attribute. */
import type { Filter } from 'scim2-parse-filter';
import { InvalidRequest } from '../shared/errors';
import { attrNamed, type AttrDef } from './attribute-definitions';
import { normalizeValue } from './normalize-resource';

type Obj = Record<string, unknown>;

/** The sub-attribute a value filter names; unknown (and prototype) names are 400 invalidPath (RFC 7644 section 3.5.2). */
function subAttributeOf(attr: AttrDef, attrPath: string): AttrDef {
  const sub = attrNamed(attr.sub, attrPath);
  if (!sub) throw new InvalidRequest(`"${attrPath}" is not a sub-attribute of ${attr.name}`, 'invalidPath');
  return sub;
}

/** Refuses a value filter that names anything but sub-attributes of `attr`, before any value is looked at. */
export function assertSubAttributeNames(filter: Filter, attr: AttrDef, path: string): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.forEach((f) => assertSubAttributeNames(f, attr, path));
    case 'not':
      return assertSubAttributeNames(filter.filter, attr, path);
    case '[]':
      throw new InvalidRequest(`"${path}": value filters cannot be nested`, 'invalidPath');
    default:
      if (!attrNamed(attr.sub, filter.attrPath)) {
        throw new InvalidRequest(`"${path}": "${filter.attrPath}" is not a sub-attribute of ${attr.name}`, 'invalidPath');
      }
  }
}

/** The value a filter such as `type eq "work" and primary eq true` describes, or null when it describes none. */
export function equalityConditions(filter: Filter, attr: AttrDef): Obj | null {
  if (filter.op === 'eq') {
    const sub = attrNamed(attr.sub, filter.attrPath);
    if (!sub) return null;
    const v = normalizeValue(sub, filter.compValue, sub.name);
    return v === undefined ? null : { [sub.name]: v };
  }
  if (filter.op === 'and') {
    const parts = filter.filters.map((f) => equalityConditions(f, attr));
    return parts.every(Boolean) ? Object.assign({}, ...parts) : null;
  }
  return null;
}

/** Evaluates a value-selection filter against one value of a multi-valued attribute. */
export function matchesValueFilter(el: Obj, filter: Filter, attr: AttrDef): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matchesValueFilter(el, f, attr));
    case 'or':
      return filter.filters.some((f) => matchesValueFilter(el, f, attr));
    case 'not':
      return !matchesValueFilter(el, filter.filter, attr);
    case '[]':
      throw new InvalidRequest('value filters cannot be nested', 'invalidPath');
    default: {
      const sub = subAttributeOf(attr, filter.attrPath);
      const actual = el[sub.name] ?? el[Object.keys(el).find((k) => k.toLowerCase() === sub.name.toLowerCase()) ?? ''];
      if (filter.op === 'pr') return actual !== undefined && actual !== null && actual !== '';
      return compare(sub, actual, filter.op, (filter as { compValue?: unknown }).compValue);
    }
  }
}

function compare(def: AttrDef, actual: unknown, op: string, expected: unknown): boolean {
  if (def.type === 'boolean') {
    const want = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected;
    const have = actual === undefined ? false : actual;
    if (op === 'eq') return have === want;
    if (op === 'ne') return have !== want;
    return false;
  }
  if (actual === undefined || actual === null) return op === 'ne';
  const fold = (v: unknown) => (typeof v === 'string' && !def.caseExact ? v.toLowerCase() : v);
  const a = fold(typeof actual === 'number' ? actual : String(actual));
  const e = fold(typeof expected === 'number' || expected === null ? expected : String(expected));
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return String(a).includes(String(e));
    case 'sw':
      return String(a).startsWith(String(e));
    case 'ew':
      return String(a).endsWith(String(e));
    case 'gt':
      return (a as string) > (e as string);
    case 'ge':
      return (a as string) >= (e as string);
    case 'lt':
      return (a as string) < (e as string);
    case 'le':
      return (a as string) <= (e as string);
    default:
      throw new InvalidRequest(`unknown operator "${op}"`, 'invalidPath');
  }
}
