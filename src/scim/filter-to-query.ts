import { parse, type Filter } from 'scim2-parse-filter';
import { InvalidFilter } from '../shared/errors';
import { ownEntry } from './attribute-lookup';
import { toRfcFilter } from './filter-dialect';

type Query = Record<string, unknown>;
type AttrType = 'string' | 'boolean' | 'dateTime' | 'number' | 'complex';

/** One filterable attribute: where it lives in the stored document and how it compares. */
export interface FilterAttribute {
  field: string;
  type: AttrType;
  /** RFC 7643 caseExact; false means eq/co/sw/ew ignore case. */
  caseExact?: boolean;
  /** A stored lower-cased copy (unique-indexed) that answers case-insensitive eq from an index. */
  keyField?: string;
  multiValued?: boolean;
  sub?: Record<string, FilterAttribute>;
  /** Condition on another collection, resolved by directory/membership-placeholders (eq only). */
  placeholder?: boolean;
}

export type FilterAttributes = Record<string, FilterAttribute>;

const str = (field: string, caseExact = false): FilterAttribute => ({ field, type: 'string', caseExact });
const bool = (field: string): FilterAttribute => ({ field, type: 'boolean' });
const date = (field: string): FilterAttribute => ({ field, type: 'dateTime' });

/** The usual multi-valued complex shape (emails, phoneNumbers, ...), plus any extra sub-attributes. */
function multi(field: string, extra: Record<string, FilterAttribute> = {}): FilterAttribute {
  return {
    field,
    type: 'complex',
    multiValued: true,
    sub: { value: str('value'), display: str('display'), type: str('type'), primary: bool('primary'), ...extra },
  };
}

const USER_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:user:';
const GROUP_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:group:';
const ENTERPRISE_PREFIX = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:';

const META: FilterAttributes = {
  'meta.created': date('createdAt'),
  'meta.lastmodified': date('lastModifiedAt'),
};

const ENTERPRISE: FilterAttributes = {
  employeenumber: str('enterprise.employeeNumber'),
  costcenter: str('enterprise.costCenter'),
  organization: str('enterprise.organization'),
  division: str('enterprise.division'),
  department: str('enterprise.department'),
  manager: {
    field: 'enterprise.manager',
    type: 'complex',
    sub: { value: str('value', true), displayname: str('displayName') },
  },
};

/** Keys are lower-cased attribute paths: RFC 7643 section 2.1 makes attribute names case-insensitive. */
export const USER_FILTER_ATTRIBUTES: FilterAttributes = {
  id: str('_id', true),
  externalid: str('externalId', true),
  username: { field: 'userName', type: 'string', caseExact: false, keyField: 'userNameKey' },
  displayname: str('displayName'),
  nickname: str('nickName'),
  profileurl: str('profileUrl'),
  title: str('title'),
  usertype: str('userType'),
  preferredlanguage: str('preferredLanguage'),
  locale: str('locale'),
  timezone: str('timezone'),
  active: bool('active'),
  name: {
    field: 'name',
    type: 'complex',
    sub: {
      formatted: str('formatted'),
      familyname: str('familyName'),
      givenname: str('givenName'),
      middlename: str('middleName'),
      honorificprefix: str('honorificPrefix'),
      honorificsuffix: str('honorificSuffix'),
    },
  },
  emails: multi('emails'),
  phonenumbers: multi('phoneNumbers'),
  ims: multi('ims'),
  photos: multi('photos'),
  roles: multi('roles'),
  entitlements: multi('entitlements'),
  addresses: multi('addresses', {
    formatted: str('formatted'),
    streetaddress: str('streetAddress'),
    locality: str('locality'),
    region: str('region'),
    postalcode: str('postalCode'),
    country: str('country'),
  }),
  groups: {
    field: 'groups',
    type: 'complex',
    multiValued: true,
    sub: { value: { field: '__groups.value', type: 'string', caseExact: true, placeholder: true } },
  },
  ...META,
  ...Object.fromEntries(Object.entries(ENTERPRISE).map(([k, v]) => [`enterprise:${k}`, v])),
};

export const GROUP_FILTER_ATTRIBUTES: FilterAttributes = {
  id: str('_id', true),
  externalid: str('externalId', true),
  displayname: { field: 'displayName', type: 'string', caseExact: false, keyField: 'displayNameKey' },
  members: {
    field: 'members',
    type: 'complex',
    multiValued: true,
    sub: { value: { field: '__members.value', type: 'string', caseExact: true, placeholder: true } },
  },
  ...META,
};

interface Resolved {
  attr: FilterAttribute;
  /** Full stored path, e.g. `name.givenName`. */
  path: string;
}

/** Canonical lower-cased name: schema URN prefixes stripped, the enterprise URN marked as `enterprise:`. */
function canonicalName(attrPath: string): string {
  let p = attrPath.trim().toLowerCase();
  if (p.startsWith(ENTERPRISE_PREFIX)) return `enterprise:${p.slice(ENTERPRISE_PREFIX.length)}`;
  if (p.startsWith(USER_PREFIX)) p = p.slice(USER_PREFIX.length);
  else if (p.startsWith(GROUP_PREFIX)) p = p.slice(GROUP_PREFIX.length);
  return p;
}

function resolve(attrPath: string, attrs: FilterAttributes): Resolved {
  // Own-property lookups only: `constructor eq "x"` must not find Object.prototype.constructor (attribute-lookup.ts).
  const name = canonicalName(attrPath);
  const direct = ownEntry(attrs, name);
  if (direct) return { attr: direct, path: direct.field };
  // Enterprise attributes may be named without their URN by lenient clients.
  const enterprise = ownEntry(attrs, `enterprise:${name}`);
  if (enterprise && !name.includes(':')) return { attr: enterprise, path: enterprise.field };
  const [head, ...rest] = name.split('.');
  const parent = ownEntry(attrs, head) ?? (!head.includes(':') ? ownEntry(attrs, `enterprise:${head}`) : undefined);
  const sub = rest.length === 1 ? ownEntry(parent?.sub, rest[0]) : undefined;
  if (parent && sub) return { attr: sub, path: sub.placeholder ? sub.field : `${parent.field}.${sub.field}` };
  throw new InvalidFilter(`attribute "${attrPath}" cannot be filtered on`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses a SCIM filter, in the dialects IdPs send (filter-dialect.ts); also used for PATCH value-selection paths. */
export function parseFilter(filter: string): Filter {
  if (filter.length > 10_000) throw new InvalidFilter('filter is too long');
  let tree: Filter;
  try {
    tree = parse(toRfcFilter(filter));
  } catch (err) {
    throw new InvalidFilter(`filter is not valid: ${(err as Error).message}`);
  }
  return checkedTree(tree);
}

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr']);

/**
 * scim2-parse-filter looks its logical operators up with `table[word]`, so `title pr constructor
 * title pr` parses into an `{op: "constructor"}` node (a 500 further down). Only trees made of
 * RFC 7644 section 3.4.2.2 operators get through.
 */
function checkedTree(node: Filter): Filter {
  const n = (node ?? {}) as { op?: unknown; attrPath?: unknown; filters?: unknown; filter?: unknown; valFilter?: unknown };
  const isValid = (): boolean => {
    if (n.op === 'and' || n.op === 'or') return Array.isArray(n.filters) && n.filters.every((f) => checkedTree(f));
    if (n.op === 'not') return Boolean(checkedTree(n.filter as Filter));
    if (typeof n.attrPath !== 'string') return false;
    return n.op === '[]' ? Boolean(checkedTree(n.valFilter as Filter)) : COMPARE_OPS.has(n.op as string);
  };
  if (!isValid()) throw new InvalidFilter(`filter is not valid: "${String(n.op)}" is not a filter operator`);
  return node;
}

const RANGE_OPERATORS: Record<string, string> = { gt: '$gt', ge: '$gte', lt: '$lt', le: '$lte' };

type Scalar = string | number | boolean | null | Date;

function comparable(attr: FilterAttribute, op: string, raw: unknown, attrPath: string): Scalar {
  if (raw !== null && typeof raw === 'object') throw new InvalidFilter(`value for ${attrPath} must be a string, number, boolean or null`);
  if (raw === null) return null;
  switch (attr.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
      throw new InvalidFilter(`${attrPath} is boolean; compare it with true or false`);
    }
    case 'dateTime': {
      const d = new Date(String(raw));
      if (typeof raw !== 'string' || Number.isNaN(d.getTime())) throw new InvalidFilter(`${attrPath} needs an ISO 8601 date-time`);
      return d;
    }
    case 'number':
      if (typeof raw !== 'number') throw new InvalidFilter(`${attrPath} needs a number`);
      return raw;
    case 'complex':
      throw new InvalidFilter(`${attrPath} is complex; filter on one of its sub-attributes`);
    default:
      if (typeof raw === 'boolean' && op !== 'eq' && op !== 'ne') throw new InvalidFilter(`${attrPath} is a string`);
      // A JSON number against a string attribute (`employeeNumber eq 100`) compares as String(number):
      // that is how normalize-resource stores a number written to a string attribute (Entra sends them).
      return String(raw);
  }
}

/** One attribute comparison as a MongoDB condition on `field`. */
function comparison(attr: FilterAttribute, path: string, op: string, rawValue: unknown, attrPath: string): Query {
  if (op === 'pr') {
    if (attr.placeholder) return { [path]: { $exists: true } };
    return attr.multiValued ? { [`${path}.0`]: { $exists: true } } : { [path]: { $exists: true, $ne: null } };
  }
  // A comparison on a multi-valued complex attribute means its `value` (RFC 7644 section 3.4.2.2).
  if (attr.type === 'complex' && attr.sub?.value) {
    const sub = attr.sub.value;
    return comparison(sub, sub.placeholder ? sub.field : `${path}.${sub.field}`, op, rawValue, attrPath);
  }
  const value = comparable(attr, op, rawValue, attrPath);
  if (attr.placeholder) {
    if (op !== 'eq' || typeof value !== 'string') throw new InvalidFilter(`${attrPath} supports only "eq" with a string id`);
    return { [path]: value };
  }
  if (attr.type === 'boolean' && !['eq', 'ne'].includes(op)) throw new InvalidFilter(`"${op}" cannot compare a boolean`);
  if (value === null) {
    if (op === 'eq') return { [path]: null };
    if (op === 'ne') return { [path]: { $ne: null } };
    throw new InvalidFilter(`"${op}" cannot compare with null`);
  }

  const ignoreCase = attr.type === 'string' && !attr.caseExact && typeof value === 'string';
  const useKey = ignoreCase && attr.keyField !== undefined;
  const field = useKey ? attr.keyField! : path;
  const v = useKey ? (value as string).toLowerCase() : value;

  switch (op) {
    case 'eq':
      if (ignoreCase && !useKey) return { [field]: new RegExp(`^${escapeRegex(v as string)}$`, 'i') };
      return { [field]: v };
    case 'ne':
      if (ignoreCase && !useKey) return { [field]: { $not: new RegExp(`^${escapeRegex(v as string)}$`, 'i') } };
      return { [field]: { $ne: v } };
    case 'co':
    case 'sw':
    case 'ew': {
      if (typeof v !== 'string') throw new InvalidFilter(`"${op}" needs a string value`);
      const body = escapeRegex(v);
      const source = op === 'co' ? body : op === 'sw' ? `^${body}` : `${body}$`;
      return { [field]: new RegExp(source, ignoreCase && !useKey ? 'i' : '') };
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return { [field]: { [RANGE_OPERATORS[op]]: v } };
    default:
      throw new InvalidFilter(`unknown operator "${op}"`);
  }
}

function translate(node: Filter, attrs: FilterAttributes, within?: FilterAttribute): Query {
  switch (node.op) {
    case 'and':
      return { $and: node.filters.map((f) => translate(f, attrs, within)) };
    case 'or':
      return { $or: node.filters.map((f) => translate(f, attrs, within)) };
    case 'not':
      return { $nor: [translate(node.filter, attrs, within)] };
    case '[]': {
      if (within) throw new InvalidFilter('value filters cannot be nested');
      const { attr, path } = resolve(node.attrPath, attrs);
      if (attr.type !== 'complex' || !attr.sub) throw new InvalidFilter(`${node.attrPath} is not a complex attribute`);
      // Placeholder attributes (memberships) live elsewhere: `members[value eq "x"]` is `members.value eq "x"`.
      if (attr.sub.value?.placeholder) return translate(node.valFilter, attr.sub, attr);
      if (!attr.multiValued) return prefixFields(translate(node.valFilter, attr.sub, attr), path);
      return { [path]: { $elemMatch: translate(node.valFilter, attr.sub, attr) } };
    }
    default: {
      const attrPath = node.attrPath;
      const { attr, path } = within ? resolveSub(attrPath, within) : resolve(attrPath, attrs);
      return comparison(attr, path, node.op, (node as { compValue?: unknown }).compValue, attrPath);
    }
  }
}

function resolveSub(attrPath: string, parent: FilterAttribute): Resolved {
  const sub = ownEntry(parent.sub, attrPath.toLowerCase());
  if (!sub) throw new InvalidFilter(`"${attrPath}" is not a sub-attribute here`);
  return { attr: sub, path: sub.field };
}

/** For single-valued complex attributes (name, manager) a value filter is plain dotted paths. */
function prefixFields(query: Query, prefix: string): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(query)) {
    if (k === '$and' || k === '$or' || k === '$nor') out[k] = (v as Query[]).map((q) => prefixFields(q, prefix));
    else out[`${prefix}.${k}`] = v;
  }
  return out;
}

/**
 * Translates a SCIM filter (RFC 7644 section 3.4.2.2) into a MongoDB query over an allow-list of
 * attributes. Values only ever become literal operands or escaped regexes, never operators or code.
 */
export function filterToQuery(filter: string, attrs: FilterAttributes): Query {
  return translate(parseFilter(filter), attrs);
}

/** The stored field to sort by; case-insensitive attributes sort by their lower-cased key. */
export function sortFieldFor(attrPath: string, attrs: FilterAttributes): string {
  const { attr, path } = resolve(attrPath, attrs);
  if (attr.placeholder || attr.type === 'complex') {
    if (attr.type === 'complex' && attr.sub?.value && !attr.sub.value.placeholder) return `${path}.value`;
    throw new InvalidFilter(`cannot sort by ${attrPath}`);
  }
  return attr.keyField ?? path;
}
