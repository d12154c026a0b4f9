import type { Model } from 'mongoose';
import { Conflict, InvalidRequest, NotFound } from '../shared/errors';
import { newId, newSecret } from '../shared/ids';
import { isDuplicateKey } from '../shared/mongo';
import { hashSecret, sameHash } from '../shared/secret-hash';
import type { FreshCache } from '../shared/fresh-cache';
import type { LastUsed } from '../shared/last-used';
import { createSecretIndex } from '../shared/secret-index';
import type { DirectoryDoc, DirectoryTokenDoc, OrganizationDoc, Provider } from './models';
import { PROVIDERS } from './models';

export interface IssuedToken {
  tokenId: string;
  /** The secret itself: shown once, never stored. */
  token: string;
  hint: string;
  createdAt: Date;
}

export interface AuthenticatedDirectory {
  directory: DirectoryDoc;
  tokenId: string;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type TenancyService = ReturnType<typeof createTenancyService>;

export function createTenancyService(deps: {
  organizations: Model<OrganizationDoc>;
  directories: Model<DirectoryDoc>;
  tokens: Model<DirectoryTokenDoc>;
  /** Verified tokens are kept per process; a revocation is seen at once on every instance. */
  fresh: FreshCache;
  lastUsed: LastUsed;
}) {
  const { organizations, directories, tokens, fresh, lastUsed } = deps;
  const tokenOfSecret = createSecretIndex(tokens, 10_000);

  async function ensureOrganization(slug: string, name?: string): Promise<{ org: OrganizationDoc; created: boolean }> {
    if (!SLUG.test(slug)) throw new InvalidRequest(`organization slug "${slug}" must be lower-case letters, digits and -`);
    const existing = await organizations.findOne({ slug }).lean<OrganizationDoc>();
    if (existing) return { org: existing, created: false };
    const org: OrganizationDoc = { _id: newId(), slug, name: name ?? slug, createdAt: new Date() };
    try {
      await organizations.collection.insertOne(org as never);
      return { org, created: true };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const raced = await organizations.findOne({ slug }).lean<OrganizationDoc>();
      if (!raced) throw err;
      return { org: raced, created: false };
    }
  }

  async function findOrganization(idOrSlug: string): Promise<OrganizationDoc> {
    const org = await organizations.findOne({ $or: [{ _id: idOrSlug }, { slug: idOrSlug }] }).lean<OrganizationDoc>();
    if (!org) throw new NotFound(`organization ${idOrSlug}`);
    return org;
  }

  async function listOrganizations(): Promise<OrganizationDoc[]> {
    return organizations.find({}).sort({ createdAt: 1 }).lean<OrganizationDoc[]>();
  }

  async function createDirectory(input: {
    orgId: string;
    name: string;
    provider: Provider;
  }): Promise<{ directory: DirectoryDoc; token: IssuedToken }> {
    if (!PROVIDERS.includes(input.provider)) {
      throw new InvalidRequest(`provider must be one of ${PROVIDERS.join(', ')}`);
    }
    const name = input.name.trim();
    if (!name) throw new InvalidRequest('directory name is required');
    const directory: DirectoryDoc = {
      _id: newId(),
      orgId: input.orgId,
      name,
      nameKey: name.toLowerCase(),
      provider: input.provider,
      createdAt: new Date(),
    };
    try {
      await directories.collection.insertOne(directory as never);
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict('Directory', `a directory named "${name}" already exists in this organization`);
      throw err;
    }
    const token = await issueToken(directory._id);
    return { directory, token };
  }

  async function getDirectory(directoryId: string, orgId?: string): Promise<DirectoryDoc> {
    const dir = await directories
      .findOne({ _id: directoryId, ...(orgId ? { orgId } : {}) })
      .lean<DirectoryDoc>();
    if (!dir) throw new NotFound(`directory ${directoryId}`);
    return dir;
  }

  async function findDirectory(orgId: string, idOrName: string): Promise<DirectoryDoc> {
    const dir = await directories
      .findOne({ orgId, $or: [{ _id: idOrName }, { nameKey: idOrName.toLowerCase() }] })
      .lean<DirectoryDoc>();
    if (!dir) throw new NotFound(`directory ${idOrName}`);
    return dir;
  }

  async function listDirectories(orgId: string): Promise<DirectoryDoc[]> {
    return directories.find({ orgId }).sort({ createdAt: 1 }).lean<DirectoryDoc[]>();
  }

  /** A new token; existing ones keep working until revoked, so an IdP can be re-configured without downtime. */
  async function issueToken(directoryId: string): Promise<IssuedToken> {
    const dir = await getDirectory(directoryId);
    const token = newSecret('scim');
    const doc: DirectoryTokenDoc = {
      _id: newId(),
      directoryId,
      orgId: dir.orgId,
      hash: hashSecret(token),
      hint: token.slice(-4),
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await tokens.collection.insertOne(doc as never);
    return { tokenId: doc._id, token, hint: doc.hint, createdAt: doc.createdAt };
  }

  async function listTokens(directoryId: string) {
    const docs = await tokens.find({ directoryId }).sort({ createdAt: 1 }).lean<DirectoryTokenDoc[]>();
    const used = await lastUsed.of('dirtoken', docs.map((t) => t._id));
    // Never the hash: a listing shows which token is which by id and last four characters.
    return docs.map((t) => ({ id: t._id, hint: t.hint, createdAt: t.createdAt, revokedAt: t.revokedAt ?? null, lastUsedAt: used.get(t._id) ?? null }));
  }

  async function revokeToken(directoryId: string, tokenId: string): Promise<void> {
    const res = await tokens.updateOne({ _id: tokenId, directoryId, revokedAt: null }, { $set: { revokedAt: new Date() } });
    if (res.matchedCount === 0) {
      const exists = await tokens.exists({ _id: tokenId, directoryId });
      if (!exists) throw new NotFound(`token ${tokenId}`);
    }
    await fresh.invalidate('dirtoken', [tokenId]);
  }

  /** Revokes every token of the directory but the newest: the end of a rotation's overlap window. */
  async function revokeOlderTokens(directoryId: string): Promise<number> {
    const active = await tokens.find({ directoryId, revokedAt: null }).sort({ createdAt: -1 }).lean<DirectoryTokenDoc[]>();
    const older = active.slice(1);
    for (const t of older) await revokeToken(directoryId, t._id);
    return older.length;
  }

  /**
   * The token is hashed before lookup, so the database sees a hash, never the secret, and timing
   * reveals nothing about the secret; the stored hash is compared again in constant time.
   */
  async function authenticate(secret: string): Promise<AuthenticatedDirectory | null> {
    const named = await tokenOfSecret(secret);
    if (!named) return null;
    const { id, hash } = named;
    const verified = await fresh.read('dirtoken', id, async () => {
      const doc = await tokens.findOne({ _id: id }).lean<DirectoryTokenDoc>();
      const directory = doc ? await directories.findOne({ _id: doc.directoryId }).lean<DirectoryDoc>() : null;
      return doc && directory ? { doc, directory } : null;
    });
    if (!verified || verified.doc.revokedAt || !sameHash(verified.doc.hash, hash)) return null;
    lastUsed.touch('dirtoken', id);
    return { directory: verified.directory, tokenId: id };
  }

  return {
    ensureOrganization,
    findOrganization,
    listOrganizations,
    createDirectory,
    getDirectory,
    findDirectory,
    listDirectories,
    issueToken,
    listTokens,
    revokeToken,
    revokeOlderTokens,
    authenticate,
  };
}
