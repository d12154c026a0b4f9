import type { Filter } from 'scim2-parse-filter';
import type { Provider } from '../directory/models';
import { deepEqual } from '../directory/deep-equal';
import { InvalidFilter, InvalidRequest } from '../shared/errors';
import { GROUP_DEFS, SERVER_OWNED, USER_DEFS, type AttrDef, type ResourceDefs } from './attribute-definitions';
import { parseFilter } from './filter-to-query';
import { isObject, keepOnePrimary, normalizeValue } from './normalize-resource';
import { readPatchOperations, type PatchOpName } from './patch-operations';

type Obj = Record<string, unknown>;

export interface PatchOptions {
  schema: 'User' | 'Group';
  provider: Provider;
}

/** Where one PATCH path points. */
interface Target {
  /** Undefined for core attributes; the extension URN otherwise. */
  extension?: string;
  /** The whole extension object (`path` is the extension URN itself). */
  wholeExtension?: boolean;
  attr?: AttrDef;
  filter?: Filter;
  sub?: AttrDef;
  /** A path into a schema we do not know (a vendor extension): the operation is skipped. */
  unknownSchema?: boolean;
}

/**
 * Applies a SCIM PatchOp (RFC 7644 section 3.5.2) to canonical attributes and returns the new ones.
 * All operations apply to a copy, so one failing operation leaves the resource untouched.
 */
export function applyPatch(resource: Obj, body: unknown, opts: PatchOptions): Obj {
  const defs = opts.schema === 'User' ? USER_DEFS : GROUP_DEFS;
  const ops = readPatchOperations(body);
  const res = structuredClone(resource);
  ops.forEach((op, i) => {
    const where = `Operations[${i}]`;
    if (op.path === undefined) applyWithoutPath(res, defs, op.op, op.value, opts, where);
    else applyAt(res, parsePath(op.path, defs), op.op, op.value, opts, where);
  });
  return pruneEmpty(res);
}

/** `{"op":"replace","value":{"active":false,"name.givenName":"X","urn:...:employeeNumber":"7"}}` */
function applyWithoutPath(res: Obj, defs: ResourceDefs, op: PatchOpName, value: unknown, opts: PatchOptions, where: string) {
  if (!isObject(value)) throw new InvalidRequest(`${where}: without a path, value must be an object of attributes`, 'invalidValue');
  for (const [key, v] of Object.entries(value)) {
    const lower = key.toLowerCase();
    // Okta repeats the group's id in rename PATCHes; server-owned values in a body are ignored (section 3.5.2).
    if (SERVER_OWNED.has(lower) || lower === 'schemas') continue;
    const target = parsePath(key, defs);
    if (target.attr?.mutability === 'readOnly') continue;
    applyAt(res, target, op, v, opts, `${where}.value.${key}`);
  }
}

function parsePath(path: string, defs: ResourceDefs): Target {
  const lower = path.toLowerCase();
  if (SERVER_OWNED.has(lower.split(/[.[]/)[0]) || lower === 'schemas') {
    throw new InvalidRequest(`"${path}" is set by the server and cannot be changed`, 'mutability');
  }
  let rest = path;
  let attrs = defs.core;
  let extension: string | undefined;
  const ext = Object.values(defs.extensions).find((e) => lower === e.urn.toLowerCase() || lower.startsWith(`${e.urn.toLowerCase()}:`));
  if (ext) {
    if (lower === ext.urn.toLowerCase()) return { extension: ext.urn, wholeExtension: true };
    rest = path.slice(ext.urn.length + 1);
    attrs = ext.attrs;
    extension = ext.urn;
  } else if (lower.startsWith(`${defs.coreUrn.toLowerCase()}:`)) {
    rest = path.slice(defs.coreUrn.length + 1);
  } else if (lower.startsWith('urn:')) {
    return { unknownSchema: true };
  }

  const open = rest.indexOf('[');
  let name: string;
  let filterText: string | undefined;
  let subName: string | undefined;
  if (open >= 0) {
    const close = rest.lastIndexOf(']');
    if (close < open) throw new InvalidRequest(`"${path}" is not a valid path`, 'invalidPath');
    name = rest.slice(0, open);
    filterText = rest.slice(open + 1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith('.')) throw new InvalidRequest(`"${path}" is not a valid path`, 'invalidPath');
      subName = after.slice(1);
    }
  } else {
    const dot = rest.indexOf('.');
    name = dot >= 0 ? rest.slice(0, dot) : rest;
    subName = dot >= 0 ? rest.slice(dot + 1) : undefined;
  }

  let attr = attrs[name.trim().toLowerCase()];
  if (!attr && !extension) {
    // Entra sends extension attributes without their URN (`"path": "manager"`); accept a name only one extension has.
    const owners = Object.values(defs.extensions).filter((e) => e.attrs[name.trim().toLowerCase()]);
    if (owners.length === 1) {
      extension = owners[0].urn;
      attr = owners[0].attrs[name.trim().toLowerCase()];
    }
  }
  if (!attr) throw new InvalidRequest(`"${path}" names no attribute of this resource`, 'invalidPath');
  if (attr.mutability === 'readOnly') throw new InvalidRequest(`${attr.name} is read-only`, 'mutability');
  let sub: AttrDef | undefined;
  if (subName !== undefined) {
    sub = attr.sub?.[subName.trim().toLowerCase()];
    if (!sub) throw new InvalidRequest(`"${path}" names no sub-attribute of ${attr.name}`, 'invalidPath');
    if (sub.mutability === 'readOnly') throw new InvalidRequest(`${attr.name}.${sub.name} is read-only`, 'mutability');
  }
  let filter: Filter | undefined;
  if (filterText !== undefined) {
    if (!attr.multiValued || !attr.sub) throw new InvalidRequest(`${attr.name} is not a multi-valued complex attribute`, 'invalidPath');
    try {
      filter = parseFilter(filterText);
    } catch (err) {
      if (err instanceof InvalidFilter) throw new InvalidRequest(`"${path}": ${err.message}`, 'invalidPath');
      throw err;
    }
  }
  return { extension, attr, sub, filter };
}

function containerOf(res: Obj, target: Target): Obj {
  if (!target.extension) return res;
  const existing = res[target.extension];
  if (isObject(existing)) return existing;
  const created: Obj = {};
  res[target.extension] = created;
  return created;
}

function applyAt(res: Obj, target: Target, op: PatchOpName, value: unknown, opts: PatchOptions, where: string) {
  if (target.unknownSchema) return;
  if (target.wholeExtension) return applyToExtension(res, target.extension!, op, value, opts, where);
  const attr = target.attr!;
  const c = containerOf(res, target);
  // A null value on add/replace clears the attribute (Entra clears a manager this way).
  if (op !== 'remove' && value === null) op = 'remove';
  if (target.filter) return applyFiltered(c, attr, target.filter, target.sub, op, value, opts, where);
  if (target.sub) return applySub(c, attr, target.sub, op, value, where);

  if (op === 'remove') {
    if (attr.required) throw new InvalidRequest(`${attr.name} is required and cannot be removed`, 'invalidValue');
    if (attr.multiValued && value !== undefined && value !== null) {
      const listed = normalizeValue(attr, value, where) as unknown[];
      const current = asList(c[attr.name]);
      c[attr.name] = current.filter((el) => !listed.some((l) => sameElement(attr, el, l)));
    } else {
      delete c[attr.name];
    }
    return;
  }
  const n = normalizeValue(attr, value, `${where}.value`);
  if (attr.multiValued) {
    const incoming = (n as unknown[] | undefined) ?? [];
    if (op === 'replace') {
      c[attr.name] = incoming;
      return;
    }
    const current = asList(c[attr.name]);
    const added = incoming.filter((v) => !current.some((e) => deepEqual(e, v)));
    c[attr.name] = withPrimaryRule([...current, ...added], added);
    return;
  }
  if (attr.type === 'complex' && isObject(c[attr.name]) && isObject(n)) {
    // Sub-attributes not in the value are left unchanged (section 3.5.2.1 and 3.5.2.3).
    c[attr.name] = { ...(c[attr.name] as Obj), ...n };
    return;
  }
  if (n === undefined) delete c[attr.name];
  else c[attr.name] = n;
}

function applyToExtension(res: Obj, urn: string, op: PatchOpName, value: unknown, opts: PatchOptions, where: string) {
  if (op === 'remove') {
    delete res[urn];
    return;
  }
  if (!isObject(value)) throw new InvalidRequest(`${where}: the value for ${urn} must be an object`, 'invalidValue');
  const defs = opts.schema === 'User' ? USER_DEFS : GROUP_DEFS;
  for (const [k, v] of Object.entries(value)) {
    const target = parsePath(`${urn}:${k}`, defs);
    applyAt(res, target, op, v, opts, `${where}.value.${k}`);
  }
}

function applySub(c: Obj, attr: AttrDef, sub: AttrDef, op: PatchOpName, value: unknown, where: string) {
  if (attr.multiValued) {
    // `emails.type` without a filter addresses that sub-attribute of every value.
    const list = asList(c[attr.name]);
    if (list.length === 0) {
      if (op === 'remove') return;
      throw new InvalidRequest(`${attr.name} has no values to change`, 'noTarget');
    }
    const n = op === 'remove' ? undefined : normalizeValue(sub, value, `${where}.value`);
    c[attr.name] = list.map((el) => setOrDelete({ ...(el as Obj) }, sub.name, n));
    return;
  }
  const current = isObject(c[attr.name]) ? { ...(c[attr.name] as Obj) } : {};
  if (op === 'remove') {
    if (isObject(c[attr.name])) c[attr.name] = setOrDelete(current, sub.name, undefined);
    return;
  }
  c[attr.name] = setOrDelete(current, sub.name, normalizeValue(sub, value, `${where}.value`));
}

/**
 * `emails[type eq "work"].value` and friends. With no matching value, RFC 7644 section 3.5.2.3 says
 * `replace` fails with noTarget; Entra expects the value to be created (it sends `replace` for a
 * first work email) and Okta tolerates it too, so only `generic` directories get the strict answer.
 * `add` creates in every mode (section 3.5.2.1 adds what does not exist).
 */
function applyFiltered(
  c: Obj,
  attr: AttrDef,
  filter: Filter,
  sub: AttrDef | undefined,
  op: PatchOpName,
  value: unknown,
  opts: PatchOptions,
  where: string,
) {
  const list = asList(c[attr.name]);
  const matched = list.map((el) => isObject(el) && matches(el, filter, attr));
  const any = matched.some(Boolean);
  const lenient = opts.provider !== 'generic';

  if (op === 'remove') {
    if (!any) {
      if (lenient) return;
      throw new InvalidRequest(`no value of ${attr.name} matches the filter`, 'noTarget');
    }
    c[attr.name] = sub
      ? list.map((el, i) => (matched[i] ? setOrDelete({ ...(el as Obj) }, sub.name, undefined) : el))
      : list.filter((_, i) => !matched[i]);
    return;
  }

  const subValue = sub ? normalizeValue(sub, value, `${where}.value`) : undefined;
  const whole = sub ? undefined : (normalizeValue({ ...attr, multiValued: false }, value, `${where}.value`) as Obj | undefined);
  if (!any) {
    if (!lenient && op === 'replace') throw new InvalidRequest(`no value of ${attr.name} matches the filter`, 'noTarget');
    const seed = equalityConditions(filter, attr);
    if (!seed) throw new InvalidRequest(`no value of ${attr.name} matches the filter, and the filter does not describe one to create`, 'noTarget');
    const created = sub ? setOrDelete(seed, sub.name, subValue) : { ...seed, ...(whole ?? {}) };
    c[attr.name] = withPrimaryRule([...list, created], [created]);
    return;
  }
  const changed: unknown[] = [];
  const next = list.map((el, i) => {
    if (!matched[i]) return el;
    const updated = sub
      ? setOrDelete({ ...(el as Obj) }, sub.name, subValue)
      : op === 'add'
        ? { ...(el as Obj), ...(whole ?? {}) }
        : { ...(whole ?? {}) };
    changed.push(updated);
    return updated;
  });
  c[attr.name] = withPrimaryRule(next, changed);
}

/** The value a filter such as `type eq "work" and primary eq true` describes, or null when it describes none. */
function equalityConditions(filter: Filter, attr: AttrDef): Obj | null {
  if (filter.op === 'eq') {
    const sub = attr.sub?.[filter.attrPath.toLowerCase()];
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
function matches(el: Obj, filter: Filter, attr: AttrDef): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matches(el, f, attr));
    case 'or':
      return filter.filters.some((f) => matches(el, f, attr));
    case 'not':
      return !matches(el, filter.filter, attr);
    case '[]':
      throw new InvalidRequest('value filters cannot be nested', 'invalidPath');
    default: {
      const sub = attr.sub?.[filter.attrPath.toLowerCase()];
      if (!sub) throw new InvalidRequest(`"${filter.attrPath}" is not a sub-attribute of ${attr.name}`, 'invalidPath');
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

/** Setting a value as primary un-marks the others (RFC 7643 section 2.4). */
function withPrimaryRule(list: unknown[], changed: unknown[]): unknown[] {
  const newPrimary = changed.find((v) => isObject(v) && v.primary === true);
  if (!newPrimary) return keepOnePrimary(list);
  return list.map((v) => (v !== newPrimary && isObject(v) && v.primary === true ? { ...v, primary: false } : v));
}

function sameElement(attr: AttrDef, a: unknown, b: unknown): boolean {
  if (attr.sub?.value && isObject(a) && isObject(b) && b.value !== undefined) {
    return String(a.value).toLowerCase() === String(b.value).toLowerCase();
  }
  return deepEqual(a, b);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function setOrDelete(obj: Obj, key: string, value: unknown): Obj {
  if (value === undefined) delete obj[key];
  else obj[key] = value;
  return obj;
}

/** Empty lists, complex values and extension objects are "no value" (RFC 7643 section 2.5). */
function pruneEmpty(res: Obj): Obj {
  for (const [k, v] of Object.entries(res)) {
    if (Array.isArray(v)) {
      const kept = v.filter((el) => !(isObject(el) && Object.keys(el).length === 0));
      if (kept.length === 0) delete res[k];
      else res[k] = kept;
    } else if (isObject(v) && !(v instanceof Date)) {
      pruneEmpty(v);
      if (Object.keys(v).length === 0) delete res[k];
    }
  }
  return res;
}
