import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../shared/ids';
import { InvalidRequest } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { modelOf } from '../shared/mongo';

export interface AuditActor {
  type: 'adminKey' | 'directoryToken' | 'system';
  id: string;
  name?: string;
}

export interface AuditEventDoc {
  _id: string;
  orgId: string;
  at: Date;
  actor: AuditActor;
  /** e.g. `scim.user.deactivated`, `binding.created`, `api_key.revoked`. */
  action: string;
  target: { type: string; id: string; display?: string };
  /** Before/after of the fields that matter; never secrets, passwords or whole IdP payloads. */
  summary: { before?: Record<string, unknown>; after?: Record<string, unknown> } & Record<string, unknown>;
  requestId?: string;
  changeId?: string;
}

export function auditModel(conn: Connection): Model<AuditEventDoc> {
  const schema = new Schema<AuditEventDoc>(
    { _id: String, orgId: String, at: Date, action: String },
    { versionKey: false, _id: false, strict: false, minimize: false },
  );
  schema.index({ orgId: 1, at: -1, _id: -1 });
  return modelOf<AuditEventDoc>(conn, 'AuditEvent', schema, 'audit_events');
}

export interface AuditQuery {
  action?: string;
  actorType?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}

export type AuditLog = ReturnType<typeof createAuditLog>;

export function createAuditLog(deps: { events: Model<AuditEventDoc>; log: Logger }) {
  const { events } = deps;

  /** Audit writes never fail the operation they describe: a lost event is logged loudly instead. */
  async function record(event: Omit<AuditEventDoc, '_id' | 'at'>): Promise<void> {
    const doc: AuditEventDoc = { _id: newId(), at: new Date(), ...event };
    try {
      await events.collection.insertOne(doc as never);
    } catch (err) {
      deps.log.error({ err: (err as Error).message, action: event.action, orgId: event.orgId }, 'audit event not stored');
    }
  }

  /** Newest first, paged by an opaque cursor (the last event's time and id). */
  async function list(orgId: string, q: AuditQuery): Promise<{ events: AuditEventDoc[]; nextCursor: string | null }> {
    const filter: Record<string, unknown> = { orgId };
    if (q.action) filter.action = q.action;
    if (q.actorType) filter['actor.type'] = q.actorType;
    if (q.actorId) filter['actor.id'] = q.actorId;
    if (q.targetType) filter['target.type'] = q.targetType;
    if (q.targetId) filter['target.id'] = q.targetId;
    const at: Record<string, Date> = {};
    if (q.since) at.$gte = q.since;
    if (q.until) at.$lte = q.until;
    const and: Record<string, unknown>[] = [];
    if (q.cursor) {
      const [iso, id] = Buffer.from(q.cursor, 'base64url').toString('utf8').split('|');
      const d = new Date(iso ?? '');
      if (!id || Number.isNaN(d.getTime())) throw new InvalidRequest('cursor is not valid', 'invalidValue');
      and.push({ $or: [{ at: { $lt: d } }, { at: d, _id: { $lt: id } }] });
    }
    if (Object.keys(at).length) filter.at = at;
    const rows = await events
      .find(and.length ? { ...filter, $and: and } : filter)
      .sort({ at: -1, _id: -1 })
      .limit(q.limit + 1)
      .lean<AuditEventDoc[]>();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit && last ? Buffer.from(`${last.at.toISOString()}|${last._id}`).toString('base64url') : null;
    return { events: page, nextCursor };
  }

  return { record, list };
}
