import { InvalidFilter } from '../shared/errors';
import { parseFilter } from './filter-to-query';
import { ENTERPRISE_URN, GROUP_URN, USER_URN } from './urns';

export interface Projection {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** Attributes returned whatever the client asks (RFC 7643 section 7, returned=always). */
const ALWAYS = new Set(['id', 'schemas']);
const NEVER = new Set(['password']);
const SCHEMA_URNS = [USER_URN, GROUP_URN, ENTERPRISE_URN];

/** A path as [container key or null, attribute, sub-attribute?], lower-cased; the container is an extension URN. */
type ParsedPath = { container: string | null; attr: string; sub?: string };

/**
 * The attribute a projection path names. Microsoft's reference client asks for
 * `attributes=emails[type eq "work"]`; RFC 7644 section 3.9 takes attribute names only, so the value
 * filter is read as its attribute (`emails`, or `emails.value` for `emails[...].value`). The filter
 * must still parse: a malformed one is 400 invalidFilter, as anywhere else.
 */
export function projectionAttribute(path: string): string {
  const open = path.indexOf('[');
  if (open < 0) return path.trim();
  const close = closingBracket(path, open);
  if (close < 0) throw new InvalidFilter(`"${path}": the value filter is not closed with "]"`);
  parseFilter(path.slice(open + 1, close));
  const after = path.slice(close + 1).trim();
  if (after !== '' && !/^\.[^.[\]]+$/.test(after)) throw new InvalidFilter(`"${path}" is not an attribute path`);
  return (path.slice(0, open) + after).trim();
}

/** The index of the `]` closing the `[` at `open`, skipping quoted strings; -1 if there is none. */
function closingBracket(text: string, open: number): number {
  let inString = false;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === ']') return i;
    else if (ch === '[') return -1; // value filters do not nest (RFC 7644 section 3.4.2.2)
  }
  return -1;
}

function parsePath(path: string): ParsedPath {
  let rest = projectionAttribute(path);
  let container: string | null = null;
  const lower = rest.toLowerCase();
  for (const urn of SCHEMA_URNS) {
    const u = urn.toLowerCase();
    if (lower === u) return { container: urn === ENTERPRISE_URN ? ENTERPRISE_URN : null, attr: '*' };
    if (lower.startsWith(u + ':')) {
      rest = rest.slice(u.length + 1);
      if (urn === ENTERPRISE_URN) container = ENTERPRISE_URN;
      break;
    }
  }
  const [attr, sub] = rest.split('.', 2);
  return { container, attr: attr.toLowerCase(), sub: sub?.toLowerCase() };
}

/** Finds a key of `obj` case-insensitively (RFC 7643 section 2.1: attribute names are case-insensitive). */
function keyOf(obj: Record<string, unknown>, lowerName: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === lowerName);
}

/** Whether the projection asks for the attribute `name` (top-level key of the resource) at all. */
export function isRequested(projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  if (projection.attributes?.length) {
    return projection.attributes.some((p) => {
      const parsed = parsePath(p);
      return parsed.container === null && (parsed.attr === lower || parsed.attr === '*');
    });
  }
  if (projection.excludedAttributes?.length) {
    return !projection.excludedAttributes.some((p) => {
      const parsed = parsePath(p);
      return parsed.container === null && parsed.attr === lower && !parsed.sub;
    });
  }
  return true;
}

/** Applies attributes / excludedAttributes (RFC 7644 section 3.9) to a serialized resource. */
export function project<T extends Record<string, unknown>>(resource: T, projection: Projection): Record<string, unknown> {
  for (const n of NEVER) delete (resource as Record<string, unknown>)[n];
  if (projection.attributes?.length) return include(resource, projection.attributes.map(parsePath));
  if (projection.excludedAttributes?.length) return exclude(resource, projection.excludedAttributes.map(parsePath));
  return resource;
}

function include(resource: Record<string, unknown>, paths: ParsedPath[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(resource)) if (ALWAYS.has(k)) out[k] = resource[k];
  for (const p of paths) {
    const source = p.container ? (resource[p.container] as Record<string, unknown> | undefined) : resource;
    if (!source || typeof source !== 'object') continue;
    if (p.attr === '*') {
      if (p.container) out[p.container] = source;
      continue;
    }
    const key = keyOf(source, p.attr);
    if (!key || NEVER.has(key)) continue;
    const target = p.container ? ((out[p.container] ??= {}) as Record<string, unknown>) : out;
    const value = source[key];
    if (!p.sub) {
      target[key] = value;
      continue;
    }
    target[key] = pickSub(value, p.sub, target[key]);
  }
  return out;
}

function pickSub(value: unknown, sub: string, already: unknown): unknown {
  if (Array.isArray(value)) {
    const prev = Array.isArray(already) ? (already as Record<string, unknown>[]) : value.map(() => ({}));
    return value.map((el, i) => {
      const e = el as Record<string, unknown>;
      const k = keyOf(e, sub);
      return k ? { ...prev[i], [k]: e[k] } : prev[i];
    });
  }
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const k = keyOf(v, sub);
    return k ? { ...(already as Record<string, unknown> | undefined), [k]: v[k] } : already;
  }
  return already;
}

function exclude(resource: Record<string, unknown>, paths: ParsedPath[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...resource };
  for (const p of paths) {
    const source = p.container ? (out[p.container] as Record<string, unknown> | undefined) : out;
    if (!source || typeof source !== 'object') continue;
    if (p.attr === '*') {
      if (p.container) delete out[p.container];
      continue;
    }
    const key = keyOf(source, p.attr);
    if (!key || ALWAYS.has(key)) continue;
    if (p.container) out[p.container] = { ...source };
    const target = (p.container ? out[p.container] : out) as Record<string, unknown>;
    if (!p.sub) {
      delete target[key];
      continue;
    }
    const value = target[key];
    if (Array.isArray(value)) {
      target[key] = value.map((el) => {
        const e = { ...(el as Record<string, unknown>) };
        const k = keyOf(e, p.sub!);
        if (k) delete e[k];
        return e;
      });
    } else if (value && typeof value === 'object') {
      const v = { ...(value as Record<string, unknown>) };
      const k = keyOf(v, p.sub);
      if (k) delete v[k];
      target[key] = v;
    }
  }
  return out;
}
