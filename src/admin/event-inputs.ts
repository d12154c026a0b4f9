import { z } from 'zod';
import type { DeliveryDoc, WebhookEndpointDoc } from '../events/event.model';
import { EVENT_TYPES, isEventType, type SubjectType } from '../events/event-types';
import { MAX_OVERLAP_SECONDS, overlapUntil, secretRotatedAt } from '../events/webhook-endpoints.service';
import { MAX_ID_LENGTH } from '../shared/input-limits';

// Input shapes and presenters of the Events API and the webhook endpoints API. Strict, like ./inputs.ts.

export const MAX_EVENTS_PER_PAGE = 1000;
export const MAX_DESCRIPTION_LENGTH = 500;
const MAX_URL_INPUT = 4096; // url-safety.ts refuses past 2,048 with its own reason; this only bounds the body.

// --- cursors --------------------------------------------------------------------------------------

/**
 * The Events API cursor: the base64url of the last seq a page covered. Opaque to clients (they
 * pass back `next`), so its form can change; decoding is strict (only what encode makes), so a
 * mangled cursor is a 400 rather than a silent restart from the beginning.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^(0|[1-9]\d{0,15})$/.test(text) || encodeCursor(Number(text)) !== cursor) return null;
  const seq = Number(text);
  return Number.isSafeInteger(seq) ? seq : null;
}

const cursor = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const seq = decodeCursor(value);
    if (seq === null) {
      ctx.addIssue({ code: 'custom', message: 'after is not a cursor this API gave (pass back the `next` of a page)' });
      return z.NEVER;
    }
    return seq;
  });

// --- event types ----------------------------------------------------------------------------------

const unknownTypeMessage = (t: string) => `unknown event type ${t} (known: ${EVENT_TYPES.join(', ')})`;

/** `types=a,b` in a query: each must be an event type; repeats are dropped. */
const typesParam = z
  .string()
  .max(2000)
  .transform((value, ctx) => {
    const types = [...new Set(value.split(',').map((t) => t.trim()).filter(Boolean))];
    for (const t of types) if (!isEventType(t)) ctx.addIssue({ code: 'custom', message: unknownTypeMessage(t) });
    return types;
  });

/** A webhook's filter: event types it receives (empty: all). `webhook.test` reaches the tested endpoint whatever its filter. */
const endpointTypes = z
  .array(z.string().max(100))
  .max(EVENT_TYPES.length * 2)
  .superRefine((types, ctx) => {
    types.forEach((t, i) => {
      if (!isEventType(t)) ctx.addIssue({ code: 'custom', path: [i], message: unknownTypeMessage(t) });
      else if (t === 'webhook.test') ctx.addIssue({ code: 'custom', path: [i], message: 'webhook.test cannot be filtered: a test goes to the endpoint tested' });
    });
  })
  .transform((types) => [...new Set(types)]);

/** Replay filter: any event type. */
const replayTypes = z
  .array(z.string().max(100))
  .max(EVENT_TYPES.length * 2)
  .superRefine((types, ctx) => {
    types.forEach((t, i) => {
      if (!isEventType(t)) ctx.addIssue({ code: 'custom', path: [i], message: unknownTypeMessage(t) });
    });
  })
  .transform((types) => [...new Set(types)]);

// --- Events API -----------------------------------------------------------------------------------

const SUBJECT_TYPES: readonly SubjectType[] = ['user', 'group', 'binding', 'serviceAccount', 'webhook', 'directory'];

/** `subject=user:<id>`: the subject's type, a colon, its id (which may itself hold colons). */
const subjectParam = z
  .string()
  .max(MAX_ID_LENGTH + 40)
  .transform((value, ctx) => {
    const at = value.indexOf(':');
    const type = value.slice(0, Math.max(at, 0));
    const id = value.slice(at + 1);
    if (at <= 0 || !id || id.length > MAX_ID_LENGTH || !(SUBJECT_TYPES as readonly string[]).includes(type)) {
      ctx.addIssue({ code: 'custom', message: `subject must be <type>:<id> with type one of ${SUBJECT_TYPES.join(', ')}` });
      return z.NEVER;
    }
    return { type: type as SubjectType, id };
  });

export const eventListQuery = z
  .object({
    after: cursor.optional(),
    types: typesParam.optional(),
    subject: subjectParam.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_EVENTS_PER_PAGE).default(100),
  })
  .strict();

// --- webhook endpoints ----------------------------------------------------------------------------

const url = z.string().max(MAX_URL_INPUT);
const description = z.string().max(MAX_DESCRIPTION_LENGTH);

export const webhookCreate = z.object({ url, types: endpointTypes.optional(), description: description.optional() }).strict();

export const webhookUpdate = z
  .object({
    url: url.optional(),
    types: endpointTypes.optional(),
    description: description.optional(),
    // 'disabled' is the service's verdict (410 Gone, five failing days), not something to set; 'active' lifts it.
    status: z.enum(['active', 'paused']).optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give url, types, description or status');

export const rotateSecret = z.object({ overlapSeconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).optional() }).strict();

const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const replay = z
  .object({ since: isoTime, until: isoTime.optional(), types: replayTypes.optional() })
  .strict()
  .refine((v) => !v.until || v.since.getTime() <= v.until.getTime(), { message: 'since must not be after until', path: ['since'] });

export const deliveriesQuery = z
  .object({
    state: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** Deliveries of events with a seq below this (the `next` of the previous page). */
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

// --- presenters -----------------------------------------------------------------------------------

/** What the API shows of an endpoint: never a secret, only when the current one was made and when the old one stops. */
export function presentEndpoint(e: WebhookEndpointDoc, now = new Date()) {
  return {
    id: e._id,
    url: e.url,
    description: e.description ?? '',
    types: e.types ?? [],
    status: e.status,
    disabledReason: e.disabledReason ?? null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    secretRotatedAt: secretRotatedAt(e),
    secretOverlapUntil: overlapUntil(e, now),
  };
}

export function presentDelivery(d: DeliveryDoc) {
  return {
    id: d._id,
    eventId: d.eventId,
    eventType: d.eventType,
    seq: d.seq,
    subject: d.subject,
    state: d.state,
    attempts: d.attempts ?? 0,
    firstAttemptAt: d.firstAttemptAt ?? null,
    lastAttemptAt: d.lastAttemptAt ?? null,
    nextAttemptAt: d.nextAttemptAt ?? null,
    lastStatus: d.lastStatus ?? null,
    lastError: d.lastError ?? null,
    lastLatencyMs: d.lastLatencyMs ?? null,
    deliveredAt: d.deliveredAt ?? null,
    createdAt: d.createdAt,
  };
}
