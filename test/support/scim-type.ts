import { InvalidRequest } from '../../src/shared/errors';

/** The scimType a pure SCIM function refuses with, or undefined when it does not refuse. */
export function scimTypeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequest) return err.scimType;
    throw err;
  }
  return undefined;
}
