import { createHash } from 'node:crypto';

/**
 * A deterministic event id from what identifies the event (its type, its subject, and the change,
 * version or request that caused it): producing it twice (a retried write, a re-swept change)
 * gives the same id, which the log stores once. 128 bits of a SHA-256, base32-like lower case.
 */
export function eventId(type: string, ...parts: Array<string | number>): string {
  const h = createHash('sha256').update([type, ...parts.map(String)].join('\u0000')).digest('hex');
  return `evt_${h.slice(0, 32)}`;
}
