import { randomBytes } from 'node:crypto';
import type { Harness, TestDirectory } from './harness';

/**
 * Seeds many users (and optionally one group holding them all) straight into the collections, for
 * tests about propagation at scale: going through SCIM would spend minutes on setup, not on what is tested.
 */
export async function seedUsers(h: Harness, dir: TestDirectory, n: number, opts: { groupName?: string } = {}) {
  const now = new Date();
  const tag = randomBytes(3).toString('hex');
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const id = `seed-${tag}-${j}`;
      ids.push(id);
      docs.push({
        _id: id,
        orgId: dir.orgId,
        directoryId: dir.directoryId,
        userName: `${id}@example.com`,
        userNameKey: `${id}@example.com`,
        active: true,
        version: 1,
        createdAt: now,
        lastModifiedAt: now,
      });
    }
    await h.c.models.users.collection.insertMany(docs as never[]);
  }
  // Written around the services: the store's derived list order (FerretDB) must be rebuilt from the database.
  await h.c.store.listing.invalidate('users', dir.directoryId);
  let groupId: string | undefined;
  if (opts.groupName) {
    groupId = `group-${tag}`;
    await h.c.store.listing.invalidate('groups', dir.directoryId);
    await h.c.models.groups.collection.insertOne({
      _id: groupId,
      orgId: dir.orgId,
      directoryId: dir.directoryId,
      displayName: opts.groupName,
      displayNameKey: opts.groupName.toLowerCase(),
      memberCount: n,
      version: 1,
      createdAt: now,
      lastModifiedAt: now,
    } as never);
    for (let i = 0; i < n; i += 1000) {
      await h.c.models.memberships.collection.insertMany(
        ids.slice(i, i + 1000).map((memberId) => ({
          _id: `${groupId}|${memberId}`,
          directoryId: dir.directoryId,
          orgId: dir.orgId,
          groupId,
          memberId,
          memberType: 'User',
          createdAt: now,
        })) as never[],
      );
    }
  }
  return { userIds: ids, groupId };
}

export async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await fn()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
