import type { Connection, Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { defineCollection } from '../shared/define-collection';
import { hashSecret } from '../shared/secret-hash';

/**
 * Console sessions: a browser exchanges an admin key for a random session id kept in an HttpOnly cookie.
 * Only the id's hash is stored (as `_id`, so a lookup is one point read and needs no secondary index),
 * beside the key it stands for and the CSRF token every cookie-authenticated write must echo.
 */
export interface AdminSessionDoc {
  _id: string;
  orgId: string;
  keyId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface StartedSession {
  /** The cookie's value: shown to the browser once, never stored. */
  sessionId: string;
  doc: AdminSessionDoc;
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** Eight hours: a working day, after which the key has to be pasted again. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export function sessionModel(conn: Connection): Model<AdminSessionDoc> {
  // buildApp may run twice on one connection (tests, peers); a model is defined once per connection.
  const existing = conn.models.AdminSession as Model<AdminSessionDoc> | undefined;
  return (
    existing ??
    defineCollection<AdminSessionDoc>(conn, 'AdminSession', 'admin_sessions', {
      fields: {
        _id: { type: String, required: true },
        orgId: { type: String, required: true },
        keyId: { type: String, required: true },
        csrfToken: { type: String, required: true },
        createdAt: { type: Date, required: true },
        expiresAt: { type: Date, required: true },
      },
    })
  );
}

export function createSessionStore(deps: { sessions: Model<AdminSessionDoc>; ttlMs?: number; now?: () => Date }) {
  const { sessions } = deps;
  const ttlMs = deps.ttlMs ?? SESSION_TTL_MS;
  const now = deps.now ?? (() => new Date());

  async function start(orgId: string, keyId: string): Promise<StartedSession> {
    const sessionId = `ses_${randomBytes(32).toString('base64url')}`;
    const createdAt = now();
    const doc: AdminSessionDoc = {
      _id: hashSecret(sessionId),
      orgId,
      keyId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + ttlMs),
    };
    await sessions.collection.insertOne(doc as never);
    return { sessionId, doc };
  }

  /** The live session a cookie names; an expired one is deleted on sight and reads as none. */
  async function find(sessionId: string): Promise<AdminSessionDoc | null> {
    const id = hashSecret(sessionId);
    const doc = await sessions.findOne({ _id: id }).lean<AdminSessionDoc>();
    if (!doc) return null;
    if (doc.expiresAt.getTime() <= now().getTime()) {
      await end(doc._id);
      return null;
    }
    return doc;
  }

  /** Ends one session by its stored id (the hash); ending one that is gone already is not an error. */
  async function end(storedId: string): Promise<void> {
    await sessions.deleteOne({ _id: storedId });
  }

  return { start, find, end };
}
