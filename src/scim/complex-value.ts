/**
 * What a PATCH value for a complex attribute asks for, read before normalizing drops what we do not
 * know. Normalizing `{}` (or `{"nosuch": 1}`) yields "no value", and the engine used to store that
 * "no value", deleting `name` or `manager`. RFC 7644 section 3.5.2.3 says the opposite: sub-attributes
 * not specified in the value are left unchanged, so a value that specifies none changes nothing.
 */
import { InvalidRequest } from '../shared/errors';
import { attrNamed, type AttrDef } from './attribute-definitions';
import { isObject } from './normalize-resource';

/**
 * - `change`: the value names at least one known sub-attribute (or is a bare `value`, an empty list,
 *   anything normalizing judges), so apply it as today;
 * - `nothing`: every value is `{}`; the attribute is left as it is.
 * A value that names only unknown sub-attributes is refused with 400 invalidPath, the answer PATCH
 * gives for an unknown attribute anywhere else (`name.nosuch`, a path-less `{"nosuch": 1}`), so the
 * client learns that nothing it named exists. Known and unknown names mixed keep the lenient reading
 * of values (unknown ones ignored, as IdPs add vendor sub-attributes), which POST and PUT share.
 */
export function complexValueIntent(attr: AttrDef, value: unknown, where: string): 'change' | 'nothing' {
  if (attr.type !== 'complex' || !attr.sub) return 'change';
  // Entra sends single-valued complex values as one-element arrays (`manager: [{...}]`).
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.some((v) => !isObject(v))) return 'change';
  const keys = (values as Record<string, unknown>[]).map((v) => Object.keys(v));
  if (keys.some((ks) => ks.some((k) => attrNamed(attr.sub, k)))) return 'change';
  const unknown = [...new Set(keys.flat())];
  if (unknown.length === 0) return 'nothing';
  throw new InvalidRequest(
    `${where}: ${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length === 1 ? 'is not a sub-attribute' : 'are not sub-attributes'} of ${attr.name}`,
    'invalidPath',
  );
}

/** Sub-attributes a single complex value sets to null: unassigned (RFC 7643 section 2.5), the others kept. */
export function nulledSubAttributes(attr: AttrDef, value: unknown): string[] {
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isObject(v)) return [];
  return Object.entries(v)
    .filter(([, sub]) => sub === null)
    .map(([k]) => attrNamed(attr.sub, k)?.name)
    .filter((name): name is string => name !== undefined);
}
