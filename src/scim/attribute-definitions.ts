import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schemas';
import { lookupTable, ownEntry } from './attribute-lookup';
import { ENTERPRISE_URN, GROUP_URN, USER_URN } from './urns';

/**
 * The schemas served at /Schemas are also what validates and canonicalizes input, so what we
 * advertise and what we accept cannot drift apart.
 */
export interface AttrDef {
  name: string;
  type: string;
  multiValued: boolean;
  mutability: string;
  required: boolean;
  caseExact: boolean;
  /** Keyed by lower-cased name: attribute names are case-insensitive (RFC 7643 section 2.1). */
  sub?: Record<string, AttrDef>;
}

export interface ResourceDefs {
  coreUrn: string;
  core: Record<string, AttrDef>;
  /** Extensions keyed by lower-cased URN. */
  extensions: Record<string, { urn: string; attrs: Record<string, AttrDef> }>;
}

interface SchemaAttribute {
  name: string;
  type: string;
  multiValued?: boolean;
  mutability?: string;
  required?: boolean;
  caseExact?: boolean;
  subAttributes?: readonly SchemaAttribute[];
}

function toDef(a: SchemaAttribute): AttrDef {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    mutability: a.mutability ?? 'readWrite',
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    ...(a.subAttributes ? { sub: defsOf(a.subAttributes) } : {}),
  };
}

function defsOf(attrs: readonly SchemaAttribute[], extra: AttrDef[] = []): Record<string, AttrDef> {
  return lookupTable([...extra, ...attrs.map(toDef)].map((d) => [d.name.toLowerCase(), d] as const));
}

/** The definition of attribute `name` (any case) in `attrs`; prototype names are never attributes (attribute-lookup.ts). */
export function attrNamed(attrs: Readonly<Record<string, AttrDef>> | undefined, name: string): AttrDef | undefined {
  return ownEntry(attrs, name.toLowerCase());
}

/** externalId is a common attribute (RFC 7643 section 3.1): not in any schema, yet set by the client. */
const EXTERNAL_ID: AttrDef = {
  name: 'externalId',
  type: 'string',
  multiValued: false,
  mutability: 'readWrite',
  required: false,
  caseExact: true,
};

const attributesOf = (schema: { attributes: readonly unknown[] }) => schema.attributes as readonly SchemaAttribute[];

export const USER_DEFS: ResourceDefs = {
  coreUrn: USER_URN,
  core: defsOf(attributesOf(USER_SCHEMA), [EXTERNAL_ID]),
  extensions: lookupTable([[ENTERPRISE_URN.toLowerCase(), { urn: ENTERPRISE_URN, attrs: defsOf(attributesOf(ENTERPRISE_USER_SCHEMA)) }]]),
};

export const GROUP_DEFS: ResourceDefs = {
  coreUrn: GROUP_URN,
  core: defsOf(attributesOf(GROUP_SCHEMA), [EXTERNAL_ID]),
  extensions: lookupTable([]),
};

/** Common attributes (RFC 7643 section 3.1) that no client may set. */
export const SERVER_OWNED = new Set(['id', 'meta']);
