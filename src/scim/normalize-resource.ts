import type { Provider } from '../directory/models';
import { InvalidRequest } from '../shared/errors';
import { GROUP_DEFS, SERVER_OWNED, USER_DEFS, attrNamed, type AttrDef, type ResourceDefs } from './attribute-definitions';
import { ownEntry } from './attribute-lookup';

export interface NormalizeOptions {
  provider: Provider;
}

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Coerces one attribute value to its schema type. IdPs send what their own stores hold: Entra
 * writes booleans as "True"/"False", numbers where strings belong (employeeNumber), a single object
 * where a list belongs; those are accepted, anything else is a clear `invalidValue`.
 */
export function normalizeValue(def: AttrDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    const out = list
      .map((v, i) => normalizeSingle(def, v, `${path}[${i}]`))
      .filter((v) => v !== undefined);
    return keepOnePrimary(out);
  }
  if (Array.isArray(value)) {
    // Entra sends `manager` as a one-element array; any other single-valued attribute takes one value.
    if (value.length <= 1 && def.type === 'complex') return value.length ? normalizeSingle(def, value[0], path) : undefined;
    throw new InvalidRequest(`${path} takes a single value, not an array`, 'invalidValue');
  }
  return normalizeSingle(def, value, path);
}

function normalizeSingle(def: AttrDef, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      throw new InvalidRequest(`${path} must be a boolean`, 'invalidValue');
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
      throw new InvalidRequest(`${path} must be an integer`, 'invalidValue');
    case 'decimal':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      throw new InvalidRequest(`${path} must be a number`, 'invalidValue');
    case 'dateTime':
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
      throw new InvalidRequest(`${path} must be an ISO 8601 date-time`, 'invalidValue');
    case 'complex':
      return normalizeComplex(def, value, path);
    default:
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return String(value);
      throw new InvalidRequest(`${path} must be a string`, 'invalidValue');
  }
}

function normalizeComplex(def: AttrDef, value: unknown, path: string): Obj | undefined {
  // A bare id where a complex value belongs (Entra's `manager: "id"`, `emails: ["a@b"]`) means its `value`.
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    if (!def.sub?.value) throw new InvalidRequest(`${path} must be an object`, 'invalidValue');
    value = { value };
  }
  if (!isObject(value)) throw new InvalidRequest(`${path} must be an object`, 'invalidValue');
  const out: Obj = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = attrNamed(def.sub, key);
    if (!sub) continue; // unknown sub-attributes (and prototype names such as `__proto__`) are ignored, as RFC 7644 section 3.3 allows
    const n = normalizeValue(sub, v, `${path}.${sub.name}`);
    if (n !== undefined) out[sub.name] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/** At most one value of a multi-valued attribute may be primary (RFC 7643 section 2.4); the first wins. */
export function keepOnePrimary(values: unknown[]): unknown[] {
  let seen = false;
  return values.map((v) => {
    if (!isObject(v) || v.primary !== true) return v;
    if (!seen) {
      seen = true;
      return v;
    }
    return { ...v, primary: false };
  });
}

function requireSchemas(body: Obj, coreUrn: string): string[] {
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== 'string')) {
    throw new InvalidRequest('"schemas" must be an array of schema URNs', 'invalidSyntax');
  }
  if (!schemas.some((s) => (s as string).toLowerCase() === coreUrn.toLowerCase())) {
    throw new InvalidRequest(`"schemas" must include ${coreUrn}`, 'invalidSyntax');
  }
  return schemas as string[];
}

/**
 * Reads a resource body into canonical attributes: known attribute names in their schema case,
 * the extension under its URN, server-owned and readOnly attributes dropped (RFC 7644 section 3.3).
 */
function normalizeResource(body: unknown, defs: ResourceDefs): Obj {
  if (!isObject(body)) throw new InvalidRequest('the request body must be a JSON object', 'invalidSyntax');
  const schemas = requireSchemas(body, defs.coreUrn);
  const out: Obj = { schemas };
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas' || SERVER_OWNED.has(lower)) continue;
    // JSON.parse makes `"__proto__"` an own key of the body: own lookups keep it an unknown attribute, ignored below.
    const ext = ownEntry(defs.extensions, lower);
    if (ext) {
      if (value === null || value === undefined) continue;
      if (!isObject(value)) throw new InvalidRequest(`${key} must be an object`, 'invalidValue');
      const extOut = (out[ext.urn] as Obj | undefined) ?? {};
      for (const [k, v] of Object.entries(value)) setAttribute(extOut, ext.attrs, k, v, `${ext.urn}:${k}`);
      if (Object.keys(extOut).length) out[ext.urn] = extOut;
      continue;
    }
    // Extension attributes written flat with their URN prefix, as some Entra mappings do.
    const flat = Object.values(defs.extensions).find((e) => lower.startsWith(`${e.urn.toLowerCase()}:`));
    if (flat) {
      const extOut = (out[flat.urn] as Obj | undefined) ?? {};
      setAttribute(extOut, flat.attrs, key.slice(flat.urn.length + 1), value, key);
      if (Object.keys(extOut).length) out[flat.urn] = extOut;
      continue;
    }
    const corePrefix = `${defs.coreUrn.toLowerCase()}:`;
    setAttribute(out, defs.core, lower.startsWith(corePrefix) ? key.slice(corePrefix.length) : key, value, key);
  }
  return out;
}

function setAttribute(target: Obj, attrs: Record<string, AttrDef>, name: string, value: unknown, path: string): void {
  const def = attrNamed(attrs, name);
  if (!def || def.mutability === 'readOnly') return;
  const n = normalizeValue(def, value, path);
  if (n !== undefined) target[def.name] = n;
}

export function normalizeUser(body: unknown, _opts: NormalizeOptions): Obj {
  const attrs = normalizeResource(body, USER_DEFS);
  if (typeof attrs.userName !== 'string' || attrs.userName.trim() === '') {
    throw new InvalidRequest('userName is required', 'invalidValue');
  }
  return attrs;
}

export function normalizeGroup(body: unknown, _opts: NormalizeOptions): Obj {
  const attrs = normalizeResource(body, GROUP_DEFS);
  if (typeof attrs.displayName !== 'string' || attrs.displayName.trim() === '') {
    throw new InvalidRequest('displayName is required', 'invalidValue');
  }
  if (attrs.members !== undefined) attrs.members = memberRefs(attrs.members, 'members');
  return attrs;
}

/** Members as ids with an optional display; a member without a string `value` cannot be stored. */
export function memberRefs(value: unknown, path: string): Array<{ value: string; display?: string }> {
  const list = Array.isArray(value) ? value : [value];
  return list
    .filter((m) => m !== null && m !== undefined)
    .map((m, i) => {
      const v = isObject(m) ? (Object.entries(m).find(([k]) => k.toLowerCase() === 'value')?.[1] as unknown) : m;
      if (typeof v !== 'string' || v.trim() === '') throw new InvalidRequest(`${path}[${i}].value must be a member id`, 'invalidValue');
      const display = isObject(m) ? Object.entries(m).find(([k]) => k.toLowerCase() === 'display')?.[1] : undefined;
      return typeof display === 'string' ? { value: v, display } : { value: v };
    });
}
