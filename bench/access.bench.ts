/**
 * Access-check figures (RBAC issue): single checks and batches of 100 against an organization of
 * 10,000 users, 1,000 groups, 100 projects and 50 custom roles, beside the same-run bare-Express
 * ceiling. Prints checks per second, p50/p99 and the server's peak RSS; never asserts.
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PERMISSIONS } from '../src/rbac/catalog';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface Ready {
  ports: { app: number; bare: number };
  adminKey: string;
  apiKey: string;
  projectIds: string[];
  userCount: number;
  seededMs: number;
  materializedMs: number;
}

const statusMb = (pid: number, field: 'VmHWM' | 'VmRSS') =>
  Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024);

async function run(name: string, opts: autocannon.Options) {
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.errors + r.non2xx };
}

async function main() {
  const child = fork(path.join(__dirname, 'access-serve.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_DB: `bench_access_${Date.now()}` } });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.on('message', (m: { ready?: Ready }) => m.ready && resolve(m.ready));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const perms = PERMISSIONS.filter((p) => p.level === 'project').map((p) => p.id);
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const oneCheck = () => ({ subject: { userId: `u-${rnd(ready.userCount)}` }, permission: perms[rnd(perms.length)], projectId: ready.projectIds[rnd(ready.projectIds.length)] });
  const headers = { authorization: `Bearer ${ready.adminKey}`, 'content-type': 'application/json' };
  const app = `http://127.0.0.1:${ready.ports.app}`;

  /** Touches every user once (batches of 100), as a steady stream of checks would; returns the batch p50. */
  async function warmUp(): Promise<number> {
    const took: number[] = [];
    for (let i = 0; i < ready.userCount; i += 100) {
      const checks = Array.from({ length: Math.min(100, ready.userCount - i) }, (_, j) => ({ ...oneCheck(), subject: { userId: `u-${i + j}` } }));
      const t = performance.now();
      const r = await fetch(`${app}/api/v1/access/check-batch`, { method: 'POST', headers, body: JSON.stringify({ checks }) });
      if (!r.ok) throw new Error(`warm-up batch answered ${r.status}`);
      await r.arrayBuffer();
      took.push(performance.now() - t);
    }
    took.sort((a, b) => a - b);
    return Math.round(took[Math.floor(took.length / 2)]);
  }

  const figures = [];
  figures.push(await run('bare Express JSON (ceiling)', { url: `http://127.0.0.1:${ready.ports.bare}/json`, method: 'POST', body: '{}', headers }));
  figures.push(
    await run('check: user, cold cache', {
      url: app,
      headers,
      requests: [{ setupRequest: (r) => ({ ...r, method: 'POST', path: '/api/v1/access/check', body: JSON.stringify(oneCheck()) }) }],
    }),
  );
  const coldBatchP50 = await warmUp();
  figures.push(
    await run('check: user, warm cache', {
      url: app,
      headers,
      requests: [{ setupRequest: (r) => ({ ...r, method: 'POST', path: '/api/v1/access/check', body: JSON.stringify(oneCheck()) }) }],
    }),
  );
  figures.push(
    await run('check: API key (key AND owner)', {
      url: app,
      headers,
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            method: 'POST',
            path: '/api/v1/access/check',
            body: JSON.stringify({ subject: { apiKey: ready.apiKey }, permission: perms[rnd(perms.length)], projectId: ready.projectIds[0] }),
          }),
        },
      ],
    }),
  );
  await warmUp();
  figures.push(
    await run('batch of 100 checks, warm', {
      url: app,
      headers,
      connections: 4,
      requests: [
        {
          setupRequest: (r) => ({
            ...r,
            method: 'POST',
            path: '/api/v1/access/check-batch',
            body: JSON.stringify({ checks: Array.from({ length: 100 }, oneCheck) }),
          }),
        },
      ],
    }),
  );
  const rss = statusMb(child.pid!, 'VmHWM');
  const rssNow = statusMb(child.pid!, 'VmRSS');
  const ceiling = figures[0].rps;
  console.log(
    `\nAccess-check benchmark: ${ready.userCount} users, 1000 groups, 100 projects, 50 custom roles; seeded in ${ready.seededMs} ms, ` +
      `access materialized in ${ready.materializedMs} ms (${((ready.userCount / ready.materializedMs) * 1000).toFixed(0)} users/s); server peak RSS ${rss} MB, ${rssNow} MB at the end with every user's access cached`,
  );
  console.log(`batch of 100 distinct users not yet cached (sequential warm-up): p50 ${coldBatchP50} ms`);
  console.log('figure'.padEnd(34), 'req/s'.padStart(8), 'checks/s'.padStart(9), 'p50 ms'.padStart(7), 'p99 ms'.padStart(7), 'vs ceiling'.padStart(10), 'errors'.padStart(7));
  for (const f of figures) {
    const checks = f.name.startsWith('batch') ? f.rps * 100 : f.rps;
    console.log(
      f.name.padEnd(34),
      f.rps.toFixed(0).padStart(8),
      checks.toFixed(0).padStart(9),
      String(f.p50).padStart(7),
      String(f.p99).padStart(7),
      `${((f.rps / ceiling) * 100).toFixed(1)}%`.padStart(10),
      String(f.bad).padStart(7),
    );
  }
  child.kill('SIGTERM');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
