/**
 * The servers a benchmark drives, in one child process so the load generator does not share its
 * event loop: the SCIM app, a bare Express handler returning a similar body, and a bare Express
 * handler doing one indexed findOne through the same MongoDB connection (the two ceilings).
 */
import express from 'express';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';

async function main() {
  const dbName = process.env.BENCH_DB ?? 'bench';
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0' });
  const c = await createContainer(config, { dbName });
  await c.ensureIndexes();
  const sample = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: 1,
    startIndex: 1,
    itemsPerPage: 1,
    Resources: [
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: '8a1b4c6e-0d2f-4f7a-9c3b-1e2d3f4a5b6c',
        userName: 'user-5000@example.com',
        name: { givenName: 'User', familyName: '5000' },
        emails: [{ value: 'user-5000@example.com', type: 'work', primary: true }],
        active: true,
        meta: { resourceType: 'User', created: new Date().toISOString(), lastModified: new Date().toISOString(), location: 'http://127.0.0.1/scim/v2/Users/x', version: 'W/"1"' },
      },
    ],
  };
  const bare = express();
  bare.get('/json', (_req, res) => {
    res.set('Content-Type', 'application/scim+json').send(JSON.stringify(sample));
  });
  bare.get('/findone', async (req, res) => {
    const doc = await c.models.users
      .findOne({ directoryId: String(req.query.d), userNameKey: String(req.query.u) })
      .lean();
    res.set('Content-Type', 'application/scim+json').send(JSON.stringify(doc));
  });
  const app = buildApp(c);
  const ports = { scim: Number(process.env.BENCH_SCIM_PORT ?? 18080), bare: Number(process.env.BENCH_BARE_PORT ?? 18081) };
  await new Promise<void>((r) => app.listen(ports.scim, '127.0.0.1', () => r()));
  await new Promise<void>((r) => bare.listen(ports.bare, '127.0.0.1', () => r()));
  process.send?.({ ready: true, ports });
  let seeded: { directoryId: string; ids: string[] } | undefined;
  process.on('message', (m: { seed?: { users: number; org: string }; forgetPrincipals?: boolean }) => {
    if (m.seed) void seed(m.seed.users, m.seed.org);
    // The registry's cold case (Redis flushed): every member id is read from the database again.
    if (m.forgetPrincipals && seeded) void c.registry.forget(seeded.ids).then(() => process.send?.({ forgotten: true }));
  });

  async function seed(users: number, org: string) {
    await c.mongo.db!.dropDatabase();
    await c.ensureIndexes();
    const { org: o } = await c.tenancy.ensureOrganization(org);
    const { directory, token } = await c.tenancy.createDirectory({ orgId: o._id, name: 'bench', provider: 'okta' });
    const now = new Date();
    const docs = [];
    for (let i = 0; i < users; i++) {
      docs.push({
        _id: `bench-user-${i}`,
        orgId: o._id,
        directoryId: directory._id,
        userName: `user-${i}@example.com`,
        userNameKey: `user-${i}@example.com`,
        name: { givenName: 'User', familyName: String(i) },
        emails: [{ value: `user-${i}@example.com`, type: 'work', primary: true }],
        active: true,
        version: 1,
        createdAt: now,
        lastModifiedAt: now,
      });
      if (docs.length === 1000) await c.models.users.collection.insertMany(docs.splice(0) as never[]);
    }
    if (docs.length) await c.models.users.collection.insertMany(docs as never[]);
    // What POST /Users does for each user it creates (the users above skip SCIM to save minutes).
    const ids = Array.from({ length: users }, (_, i) => `bench-user-${i}`);
    await c.registry.remember(directory._id, ids.map((id) => [id, 'User'] as const));
    seeded = { directoryId: directory._id, ids };
    process.send?.({ seeded: { directoryId: directory._id, token: token.token } });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
