/**
 * The SCIM request log's cost on a SCIM request (issue 11 target: at most 10% of its latency).
 * One process, one database, two apps over the same container: the log on and the log off, measured in
 * alternating rounds of the same requests, printed as latency and throughput with their on/off ratio.
 */
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadConfig } from '../src/config';
import { createContainer } from '../src/container';
import { buildApp } from '../src/app';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const USERS = 200;

interface Sample { mean: number; p50: number; p99: number; rps: number; non2xx: number }

async function listen(app: ReturnType<typeof buildApp>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2` }));
  });
}

async function main() {
  const dbName = `bench_reqlog_${Date.now()}`;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: dbName, IN_PROCESS_WORKERS: 'false' });
  const c = await createContainer(config, { dbName });
  await c.ensureIndexes();
  const { org } = await c.tenancy.ensureOrganization('bench-reqlog');
  const { directory, token } = await c.tenancy.createDirectory({ orgId: org._id, name: 'bench', provider: 'okta' });
  const on = await listen(buildApp(c));
  const off = await listen(buildApp({ ...c, requestLog: null }));
  const headers = { authorization: `Bearer ${token.token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' };

  const ids: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const res = await fetch(`${off.url}/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `seed-${i}@example.com`, password: 'S3cret-pass', active: true }) });
    ids.push(((await res.json()) as { id: string }).id);
  }

  let n = 0;
  const shapes: Record<string, (url: string) => autocannon.Options> = {
    // One request at a time, as Okta sends them: the latency an IdP sees.
    'GET /Users/:id, 1 connection': (url) => ({ url, connections: 1, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/scim/v2/Users/${ids[n++ % ids.length]}` }) }] }),
    'POST /Users (with a password), 1 connection': (url) => ({
      url,
      connections: 1,
      requests: [{ method: 'POST', path: '/scim/v2/Users', setupRequest: (r) => ({ ...r, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `seq-${process.pid}-${n++}@example.com`, password: 'S3cret-pass', active: true }) }) }],
    }),
    // Saturated: every core busy, so the log's writes compete with the requests for CPU and the database.
    'GET /Users/:id': (url) => ({ url, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/scim/v2/Users/${ids[n++ % ids.length]}` }) }] }),
    'GET /Users?filter=userName eq': (url) => ({ url, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "seed-${n++ % USERS}@example.com"`)}` }) }] }),
    'POST /Users (with a password)': (url) => ({
      url,
      requests: [{ method: 'POST', path: '/scim/v2/Users', setupRequest: (r) => ({ ...r, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `bench-${process.pid}-${n++}@example.com`, password: 'S3cret-pass', active: true }) }) }],
    }),
  };

  const run = async (opts: autocannon.Options): Promise<Sample> => {
    const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, headers, ...opts, url: opts.url!.replace(/\/scim\/v2$/, '') });
    // The buffered entries of this run are written before the next run starts, so no run pays for another's.
    await c.requestLog?.flush();
    return { mean: r.latency.mean, p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, non2xx: r.non2xx };
  };
  const avg = (xs: Sample[], k: keyof Sample) => xs.reduce((a, x) => a + x[k], 0) / xs.length;

  console.log(`request log on vs off: ${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} connections unless named, same process and database`);
  for (const [name, shape] of Object.entries(shapes)) {
    const samples: { on: Sample[]; off: Sample[] } = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which arm goes first, so warm-up and drift fall on both.
      const order = round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const arm of order) samples[arm].push(await run(shape(arm === 'on' ? on.url : off.url)));
    }
    const line = (arm: 'on' | 'off') =>
      `${arm.padEnd(3)} mean ${avg(samples[arm], 'mean').toFixed(2)} ms, p50 ${avg(samples[arm], 'p50').toFixed(1)} ms, p99 ${avg(samples[arm], 'p99').toFixed(1)} ms, ${avg(samples[arm], 'rps').toFixed(0)} req/s${avg(samples[arm], 'non2xx') ? `, ${avg(samples[arm], 'non2xx')} non-2xx` : ''}`;
    console.log(`${name}\n  ${line('off')}\n  ${line('on')}`);
    console.log(`  ratio on/off: mean latency ${(avg(samples.on, 'mean') / avg(samples.off, 'mean')).toFixed(3)}, throughput ${(avg(samples.on, 'rps') / avg(samples.off, 'rps')).toFixed(3)}`);
  }
  await c.requestLog?.flush();
  const logged = await c.requestLogModels.entries.countDocuments({ directoryId: directory._id });
  console.log(`entries written by the log: ${logged}`);

  on.server.close();
  off.server.close();
  await c.mongo.db!.dropDatabase();
  await c.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
