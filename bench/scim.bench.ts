/**
 * SCIM endpoint figures with same-run ceilings (issue: foundation benchmark).
 * Prints requests/s, p50/p99 latency and the server's peak RSS, and each SCIM figure as a ratio of
 * (a) a bare Express handler returning a similar body and (b) a bare Express handler doing one
 * indexed findOne through the same MongoDB connection.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** Groups each PATCH figure cycles through, so that (nearly) every request adds members new to its group. */
const GROUP_LAPS = 40;

interface Figure { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function run(name: string, opts: autocannon.Options): Promise<Figure> {
  const r = await autocannon({ connections: CONNECTIONS, ...(opts.amount ? {} : { duration: DURATION }), ...opts });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

function waitFor<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (m && key in m) {
        child.off('message', on);
        resolve(m[key] as T);
      }
    };
    child.on('message', on);
  });
}

async function main() {
  const child = fork(path.join(__dirname, 'serve.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DB: `bench_${Date.now()}` },
  });
  const ports = await waitFor<{ scim: number; bare: number }>(child, 'ports');
  child.send({ seed: { users: USERS, org: 'bench' } });
  const { directoryId, token } = await waitFor<{ directoryId: string; token: string }>(child, 'seeded');
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  const scim = `http://127.0.0.1:${ports.scim}/scim/v2`;
  const bare = `http://127.0.0.1:${ports.bare}`;
  let n = 0;
  const pickUser = () => `user-${Math.floor(Math.random() * USERS)}@example.com`;

  const figures: Figure[] = [];
  figures.push(await run('bare Express JSON', { url: `${bare}/json` }));
  figures.push(
    await run('bare Express findOne', {
      url: bare,
      requests: [{ setupRequest: (r) => ({ ...r, path: `/findone?d=${directoryId}&u=${encodeURIComponent(pickUser())}` }) }],
    }),
  );
  // Okta and Entra look each user up by userName before every push and again on every sync cycle.
  // First lookups read MongoDB; the second loads the user into the cache; repeats are served from it
  // (each checked against the user's freshness tag in Redis).
  const lookup = (user: () => string): autocannon.Options => ({
    url: scim,
    headers: auth,
    requests: [{ setupRequest: (r) => ({ ...r, path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user()}"`)}` }) }],
  });
  let seq = 0;
  const nextUser = () => `user-${seq++ % USERS}@example.com`;
  figures.push(await run('GET /Users?filter=userName eq (1st)', { ...lookup(nextUser), amount: USERS }));
  await run('second lookups (warm-up)', { ...lookup(nextUser), amount: USERS });
  figures.push(await run('GET /Users?filter=userName eq (repeat)', lookup(pickUser)));
  figures.push(
    await run('POST /Users', {
      url: scim,
      headers: auth,
      method: 'POST',
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            method: 'POST',
            path: '/scim/v2/Users',
            body: JSON.stringify({
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              userName: `new-${process.pid}-${n++}@example.com`,
              name: { givenName: 'New', familyName: 'User' },
              emails: [{ value: `new-${n}@example.com`, type: 'work', primary: true }],
              active: true,
            }),
          }),
        },
      ],
    }),
  );

  // Group PATCH: each request adds a fresh batch of existing users to its own group. Last, the same
  // with the principal registry emptied first (as after a Redis flush): member ids read from the database.
  for (const [batch, cold] of [[100, false], [1000, false], [1000, true]] as const) {
    if (cold) {
      child.send({ forgetPrincipals: true });
      await waitFor(child, 'forgotten');
    }
    // Every request adds members that are new to its group: after each lap over the users, the next group.
    const groups: string[] = [];
    for (let g = 0; g < GROUP_LAPS; g++) {
      const res = await fetch(`${scim}/Groups`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `bench-${batch}${cold ? '-cold' : ''}-${g}` }),
      });
      groups.push(((await res.json()) as { id: string }).id);
    }
    let offset = 0;
    let sent = 0;
    figures.push(
      await run(`PATCH /Groups add ${batch} members${cold ? ' (cold)' : ''}`, {
        url: scim,
        headers: auth,
        connections: 1,
        duration: DURATION,
        requests: [
          {
            setupRequest: (r) => {
              const members = Array.from({ length: batch }, (_, i) => ({ value: `bench-user-${(offset + i) % USERS}` }));
              offset = (offset + batch) % USERS;
              const group = groups[Math.floor((sent++ * batch) / USERS) % groups.length];
              return {
                ...r,
                method: 'PATCH',
                path: `/scim/v2/Groups/${group}`,
                body: JSON.stringify({
                  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                  Operations: [{ op: 'add', path: 'members', value: members }],
                }),
              };
            },
          },
        ],
      }),
    );
  }

  const rss = peakRssMb(child.pid!);
  const [json, findOne] = figures;
  console.log(`\nSCIM benchmark: ${USERS} users, ${CONNECTIONS} connections, ${DURATION}s per figure, server peak RSS ${rss} MB`);
  console.log('figure'.padEnd(34), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'vs JSON'.padStart(8), 'vs findOne'.padStart(10), 'errors'.padStart(7));
  for (const f of figures) {
    console.log(
      f.name.padEnd(34),
      f.rps.toFixed(0).padStart(8),
      String(f.p50).padStart(8),
      String(f.p99).padStart(8),
      `${((f.rps / json.rps) * 100).toFixed(1)}%`.padStart(8),
      `${((f.rps / findOne.rps) * 100).toFixed(1)}%`.padStart(10),
      String(f.errors + f.non2xx).padStart(7),
    );
  }
  child.kill('SIGTERM');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
