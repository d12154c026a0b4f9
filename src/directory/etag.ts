import { PreconditionFailed } from '../shared/errors';

export const etagOf = (version: number): string => `W/"${version}"`;

/**
 * If-Match (RFC 7644 section 3.14, RFC 7232): "*" or any listed tag equal to the current one passes.
 * Weak and strong forms of the same version are treated alike, as clients echo either.
 */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (!ifMatch) return;
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(`"${version}"`)) return;
  throw new PreconditionFailed(etagOf(version));
}

export function matchesIfNoneMatch(ifNoneMatch: string | undefined, version: number): boolean {
  if (!ifNoneMatch) return false;
  const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(`"${version}"`);
}
