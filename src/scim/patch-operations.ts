import { InvalidRequest } from '../shared/errors';
import { isObject } from './normalize-resource';
import { PATCH_OP_URN } from './urns';

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOpName;
  /** Undefined when the operation has no path (or an empty one). */
  path?: string;
  value?: unknown;
}

/**
 * Validates a PatchOp envelope (RFC 7644 section 3.5.2). Op names are case-insensitive because
 * Entra sends "Replace", "Add" and "Remove".
 */
export function readPatchOperations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new InvalidRequest('the PATCH body must be a JSON object', 'invalidSyntax');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_URN.toLowerCase())) {
    throw new InvalidRequest(`"schemas" must include ${PATCH_OP_URN}`, 'invalidSyntax');
  }
  const opsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = opsKey ? body[opsKey] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) throw new InvalidRequest('"Operations" must be a non-empty array', 'invalidSyntax');
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw new InvalidRequest(`Operations[${i}] must be an object`, 'invalidSyntax');
    const field = (name: string) => raw[Object.keys(raw).find((k) => k.toLowerCase() === name) ?? name];
    const op = field('op');
    if (typeof op !== 'string' || !['add', 'replace', 'remove'].includes(op.toLowerCase())) {
      throw new InvalidRequest(`Operations[${i}].op must be "add", "replace" or "remove"`, 'invalidSyntax');
    }
    const path = field('path');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw new InvalidRequest(`Operations[${i}].path must be a string`, 'invalidPath');
    }
    const name = op.toLowerCase() as PatchOpName;
    const value = field('value');
    const trimmed = typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined;
    if (name !== 'remove' && value === undefined) {
      throw new InvalidRequest(`Operations[${i}] (${name}) needs a value`, 'invalidValue');
    }
    if (name === 'remove' && trimmed === undefined) {
      throw new InvalidRequest(`Operations[${i}] (remove) needs a path`, 'noTarget');
    }
    return { op: name, path: trimmed, value };
  });
}
