import { randomBytes, randomUUID } from 'node:crypto';

/** SCIM ids and other public identifiers: opaque, unguessable, URL-safe. */
export const newId = (): string => randomUUID();

/** 256 random bits, URL-safe, with a readable prefix so leaked secrets are recognisable by scanners. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
