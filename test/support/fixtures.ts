import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { GROUP_URN, newUser, type Harness, type TestDirectory } from './harness';

export interface Fixture {
  file: string;
  idp: 'okta' | 'entra' | 'generic';
  action: string;
  request: { method: string; path: string; headers?: Record<string, string>; body: unknown };
  placeholders?: Record<string, string>;
}

const ROOT = path.join(__dirname, '..', '..', 'fixtures');

export function loadFixtures(idp: string): Fixture[] {
  const dir = path.join(ROOT, idp);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${idp}/${f}`, ...JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
}

export function fixture(file: string): Fixture {
  return { file, ...JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) };
}

/** The resources a recorded request may refer to, created fresh in the directory. */
export interface World {
  dir: TestDirectory;
  ids: Record<string, string>;
}

export async function buildWorld(h: Harness, dir: TestDirectory): Promise<World> {
  const c = h.as(dir);
  const mk = async (userName: string, extra: Record<string, unknown> = {}) => (await c.post('/Users', newUser(userName, extra))).body.id as string;
  const suffix = Math.random().toString(36).slice(2, 8);
  const ids: Record<string, string> = {
    userId: await mk(`world-user-${suffix}@example.com`, { externalId: `world-user-${suffix}` }),
    user2Id: await mk(`world-user2-${suffix}@example.com`),
    managerId: await mk(`world-manager-${suffix}@example.com`),
    member1Id: await mk(`world-m1-${suffix}@example.com`),
    member2Id: await mk(`world-m2-${suffix}@example.com`),
    member3Id: await mk(`world-m3-${suffix}@example.com`),
  };
  const g = await c.post('/Groups', {
    schemas: [GROUP_URN],
    displayName: `World Group ${suffix}`,
    members: [{ value: ids.member1Id }, { value: ids.member2Id }],
  });
  ids.groupId = g.body.id;
  return { dir, ids };
}

export function substitute<T>(value: T, ids: Record<string, string>): T {
  const text = JSON.stringify(value).replace(/\{\{(\w+)\}\}/g, (m, name: string) => ids[name] ?? m);
  return JSON.parse(text) as T;
}

/** Sends the recorded request as the IdP did: same method, path, headers and body bytes. */
export function replay(h: Harness, world: World, f: Fixture) {
  const p = substitute(f.request.path, world.ids);
  const method = f.request.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let r = request(h.app)[method](`/scim/v2${p.startsWith('/') ? p : `/${p}`}`);
  for (const [k, v] of Object.entries(f.request.headers ?? {})) {
    if (k.toLowerCase() === 'authorization' || k.toLowerCase() === 'host' || k.toLowerCase() === 'content-length') continue;
    r = r.set(k, v);
  }
  r = r.set('Authorization', `Bearer ${world.dir.token}`);
  if (f.request.body !== null && f.request.body !== undefined) {
    if (!f.request.headers || !Object.keys(f.request.headers).some((k) => k.toLowerCase() === 'content-type')) {
      r = r.set('Content-Type', 'application/scim+json');
    }
    r = r.send(JSON.stringify(substitute(f.request.body, world.ids)));
  }
  return r;
}
