import { createHmac } from 'node:crypto';
import type { WebhookSecret } from './event.model';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"): the
 * HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of the
 * secret after `whsec_`, sent as `v1,<base64>`; several signatures are space-separated, which is how
 * a receiver keeps verifying during a secret rotation whichever secret it has.
 */
const SECRET_PREFIX = 'whsec_';

function keyOf(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a webhook signing secret must not be empty');
  return key;
}

/** One `v1,<base64>` signature. */
export function sign(secret: string, msgId: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${msgId}.${timestampSec}.${body}`).digest('base64')}`;
}

/** The `webhook-signature` header: one signature per secret, space-separated. */
export function signatureHeader(secrets: string[], msgId: string, timestampSec: number, body: string): string {
  return secrets.map((s) => sign(s, msgId, timestampSec, body)).join(' ');
}

/** The secrets that sign now: the current one and any rotated-out one whose overlap has not ended, newest first. */
export function signingSecrets(secrets: WebhookSecret[], now: Date): string[] {
  return secrets
    .filter((s) => s.secret && (s.expiresAt == null || new Date(s.expiresAt).getTime() > now.getTime()))
    .sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime())
    .map((s) => s.secret);
}
