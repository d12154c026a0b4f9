import type { Filter } from 'scim2-parse-filter';
import type { Provider } from '../directory/models';
import { deepEqual } from '../directory/deep-equal';
import { InvalidRequest } from '../shared/errors';
import { GROUP_DEFS, SERVER_OWNED, USER_DEFS, type AttrDef, type ResourceDefs } from './attribute-definitions';
import { complexValueIntent, nulledSubAttributes } from './complex-value';
import { isObject, keepOnePrimary, normalizeValue } from './normalize-resource';
import { readPatchOperations, type PatchOpName } from './patch-operations';
import { parsePath, type Target } from './patch-path';
import { equalityConditions, matchesValueFilter } from './value-filter';

type Obj = Record<string, unknown>;

export interface PatchOptions {
  schema: 'User' | 'Group';
  provider: Provider;
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
  if (complexValueIntent(attr, value, `${where}.value`) === 'nothing') return;
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
  const nulled = attr.type === 'complex' ? nulledSubAttributes(attr, value) : [];
  if (attr.type === 'complex' && (n !== undefined || nulled.length > 0)) {
    // Sub-attributes not in the value are left unchanged, null ones are unassigned (section 3.5.2.1 and 3.5.2.3).
    const merged: Obj = { ...(isObject(c[attr.name]) ? (c[attr.name] as Obj) : {}), ...(n as Obj | undefined) };
    for (const name of nulled) delete merged[name];
    c[attr.name] = merged;
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
  const matched = list.map((el) => isObject(el) && matchesValueFilter(el, filter, attr));
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

  // A whole matched value replaced with `{}` keeps it as it is (section 3.5.2.3), once the target is known to exist.
  if (!sub && complexValueIntent(attr, value, `${where}.value`) === 'nothing') {
    if (!any && !lenient && op === 'replace') throw new InvalidRequest(`no value of ${attr.name} matches the filter`, 'noTarget');
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
