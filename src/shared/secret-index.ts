import type { Model } from 'mongoose';
import { hashSecret } from './secret-hash';

/**
 * Which credential a secret names. A secret always names the same credential (ids and hashes never
 * change), so the answer is kept for good; only the credential itself (revoked or not) must stay
 * fresh, and that goes through the fresh cache by id. Unknown secrets are never remembered.
 */
export function createSecretIndex<T extends { _id: string; hash: string }>(model: Model<T>, maxEntries = 100_000) {
  const idByHash = new Map<string, string>();
  return async function idOfSecret(secret: string): Promise<{ id: string; hash: string } | null> {
    if (!secret || secret.length > 200) return null;
    const hash = hashSecret(secret);
    let id = idByHash.get(hash);
    if (!id) {
      const found = await model.findOne({ hash } as never, { _id: 1 }).lean<{ _id: string }>();
      if (!found) return null;
      id = found._id;
      if (idByHash.size >= maxEntries) idByHash.clear();
      idByHash.set(hash, id);
    }
    return { id, hash };
  };
}
