import { Schema, type Connection, type Model } from 'mongoose';
import { modelOf } from './mongo';
import { upsertById } from './upsert';

export type CredentialKind = 'apikey' | 'adminkey' | 'dirtoken';

interface LastUsedDoc {
  _id: string;
  lastUsedAt: Date;
}

/** Writes at most one last-used time per credential per minute per process. */
const RESOLUTION_MS = 60_000;

export type LastUsed = ReturnType<typeof createLastUsed>;

/**
 * When each credential (directory token, admin key, API key) was last used, kept apart from the
 * credential itself. FerretDB v1 applies an update by rewriting the whole document it read, so a
 * last-used write racing a revocation of the same document could put `revokedAt: null` back and
 * silently un-revoke the key (seen in tests). Here the only writers of a credential are its creation
 * and its revocation, and the bookkeeping cannot undo either, on any backend.
 */
export function createLastUsed(conn: Connection) {
  const model: Model<LastUsedDoc> = modelOf<LastUsedDoc>(
    conn,
    'CredentialUse',
    new Schema<LastUsedDoc>({ _id: String, lastUsedAt: Date }, { versionKey: false }),
    'credential_use',
  );
  const written = new Map<string, number>();
  const idOf = (kind: CredentialKind, id: string) => `${kind}:${id}`;

  /** Fire and forget, from request paths. */
  function touch(kind: CredentialKind, id: string, onError: (err: Error) => void = () => undefined): void {
    const now = Date.now();
    const k = idOf(kind, id);
    if (now - (written.get(k) ?? 0) < RESOLUTION_MS) return;
    if (written.size >= 50_000) written.clear();
    written.set(k, now);
    upsertById(model, k, { lastUsedAt: new Date(now) }).catch(onError);
  }

  async function of(kind: CredentialKind, ids: string[]): Promise<Map<string, Date>> {
    const out = new Map<string, Date>();
    for (const id of ids) {
      const d = await model.findOne({ _id: idOf(kind, id) }).lean<LastUsedDoc>();
      if (d) out.set(id, d.lastUsedAt);
    }
    return out;
  }

  return { model, touch, of };
}
