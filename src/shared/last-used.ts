import { Schema, type Connection, type Model } from 'mongoose';
import { modelOf } from './mongo';
import { upsertById } from '../store/upsert';
import type { IdLookup } from '../store/id-lookup';

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
export function createLastUsed(conn: Connection, ids: IdLookup) {
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

  async function of(kind: CredentialKind, credentialIds: string[]): Promise<Map<string, Date>> {
    const found = await ids.findByIds(model, credentialIds.map((id) => idOf(kind, id)), {}, ['lastUsedAt']);
    return new Map(found.map((d) => [d._id.slice(kind.length + 1), d.lastUsedAt]));
  }

  return { model, touch, of };
}
