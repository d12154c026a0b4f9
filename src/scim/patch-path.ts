import type { Filter } from 'scim2-parse-filter';
import { InvalidFilter, InvalidRequest } from '../shared/errors';
import { SERVER_OWNED, attrNamed, type AttrDef, type ResourceDefs } from './attribute-definitions';
import { parseFilter } from './filter-to-query';
import { assertSubAttributeNames } from './value-filter';

/** Where one PATCH path points. */
export interface Target {
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

/** Resolves a PATCH path (`attr`, `attr.sub`, `attr[filter].sub`, optionally URN-prefixed) against a resource's attribute definitions. */
export function parsePath(path: string, defs: ResourceDefs): Target {
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

  let attr = attrNamed(attrs, name.trim());
  if (!attr && !extension) {
    // Entra sends extension attributes without their URN (`"path": "manager"`); accept a name only one extension has.
    const owners = Object.values(defs.extensions).filter((e) => attrNamed(e.attrs, name.trim()));
    if (owners.length === 1) {
      extension = owners[0].urn;
      attr = attrNamed(owners[0].attrs, name.trim());
    }
  }
  if (!attr) throw new InvalidRequest(`"${path}" names no attribute of this resource`, 'invalidPath');
  if (attr.mutability === 'readOnly') throw new InvalidRequest(`${attr.name} is read-only`, 'mutability');
  let sub: AttrDef | undefined;
  if (subName !== undefined) {
    sub = attrNamed(attr.sub, subName.trim());
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
    // Checked here, not only while matching: with no values to match, `emails[constructor eq "x"]`
    // would otherwise reach the "create what the filter describes" branch unchecked.
    assertSubAttributeNames(filter, attr, path);
  }
  return { extension, attr, sub, filter };
}
