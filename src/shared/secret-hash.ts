import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Secrets are stored only as SHA-256 hashes. They carry 256 random bits, so a fast hash is
 * enough (no dictionary to defend against), and it lets us look a token up by its hash.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests without leaking where they differ. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
