import { InvalidFilter, InvalidRequest } from '../../src/shared/errors';

/** The error of class `kind` a pure function refuses with, or undefined when it does not refuse; any other error is rethrown. */
export function refusal<E extends Error>(fn: () => unknown, kind: new (...args: never[]) => E): E | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof kind) return err;
    throw err;
  }
  return undefined;
}

/** The scimType a pure SCIM function refuses with, or undefined when it does not refuse. */
export const scimTypeOf = (fn: () => unknown): string | undefined => refusal(fn, InvalidRequest)?.scimType;

/** The message a filter is refused with, or undefined when it is accepted. */
export const invalidFilterMessage = (fn: () => unknown): string | undefined => refusal(fn, InvalidFilter)?.message;
