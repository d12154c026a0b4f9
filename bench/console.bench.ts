/**
 * The admin console at issue 11's scale (10,000 users, 1,000 groups, 100,000 SCIM request-log entries), in
 * headless Chromium against the real app: for the Overview, the Users list, a user page and the request log,
 * the time to first render (first contentful paint, and the page's heading) and the time until its list is
 * usable (first data row visible), as p50 and max of BENCH_CONSOLE_REPEATS full page loads, beside the 1 s
 * target. Then the SCIM request log's cost on a SCIM request: GET /Users/{id} and POST /Users latency with
 * SCIM_REQUEST_LOG_DAYS=7 and 0 in alternating rounds of the same run (target: at most 1.10x). Same-run
 * baseline: a bare GET of /console/ (index.html). Asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config';
import { createContainer, type Container } from '../src/container';
import { buildApp } from '../src/app';
import { REQUEST_BLOCK_SIZE } from '../src/directory/request-log.model';

const USERS = Number(process.env.BENCH_CONSOLE_USERS ?? 10_000);
const GROUPS = Number(process.env.BENCH_CONSOLE_GROUPS ?? 1_000);
const MEMBERS_PER_GROUP = 10;
const LOG_ENTRIES = Number(process.env.BENCH_CONSOLE_LOG_ENTRIES ?? 100_000);
const REPEATS = Number(process.env.BENCH_CONSOLE_REPEATS ?? 5);
const SCIM_REQUESTS = Number(process.env.BENCH_CONSOLE_SCIM_REQUESTS ?? 20);
const SCIM_ROUNDS = Number(process.env.BENCH_CONSOLE_SCIM_ROUNDS ?? 6);
/** Batches of 1,000 documents written at once while seeding: the server, not the round trips, sets the pace. */
const SEED_PARALLEL = 4;
const TARGET_MS = 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..');
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

async function listen(app: ReturnType<typeof buildApp>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: SEED_PARALLEL }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** Straight into the collections, as test/support/seed.ts does: through SCIM the setup would take longer than the run. */
async function seed(c: Container, orgId: string, directoryId: string) {
  const now = Date.now();
  const userId = (i: number) => `cu-${String(i).padStart(6, '0')}`;
  for (let i = 0; i < USERS; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(USERS, i + 1000); j++) {
      const id = userId(j);
      docs.push({ _id: id, orgId, directoryId, userName: `${id}@example.com`, userNameKey: `${id}@example.com`, externalId: `ext-${id}`, displayName: `Person ${j}`, active: true, version: 1, createdAt: new Date(now - USERS + j), lastModifiedAt: new Date(now) });
    }
    await c.models.users.collection.insertMany(docs as never[]);
  }
  // Group g holds users g*10 .. g*10+9, so every user of the first 10,000 is in one group and the user page shows it.
  const groups: Array<Record<string, unknown>> = [];
  const memberships: Array<Record<string, unknown>> = [];
  for (let g = 0; g < GROUPS; g++) {
    const id = `cg-${String(g).padStart(5, '0')}`;
    groups.push({ _id: id, orgId, directoryId, displayName: `Team ${g}`, displayNameKey: `team ${g}`, memberCount: MEMBERS_PER_GROUP, version: 1, createdAt: new Date(now - GROUPS + g), lastModifiedAt: new Date(now) });
    for (let m = 0; m < MEMBERS_PER_GROUP; m++) {
      const memberId = userId((g * MEMBERS_PER_GROUP + m) % USERS);
      memberships.push({ _id: `${id}|${memberId}`, directoryId, orgId, groupId: id, memberId, memberType: 'User', createdAt: new Date(now) });
    }
  }
  await c.models.groups.collection.insertMany(groups as never[]);
  const slices: number[] = [];
  for (let i = 0; i < memberships.length; i += 1000) slices.push(i);
  await inParallel(slices, async (i) => void (await c.models.memberships.collection.insertMany(memberships.slice(i, i + 1000) as never[])));
  // Written around the services: the store's derived list orders (FerretDB) are rebuilt from the database.
  await c.store.listing.invalidate('users', directoryId);
  await c.store.listing.invalidate('groups', directoryId);

  // The request log as its writer leaves it: seq 1..N per directory in blocks, and the summary holding the counter.
  const first = now - LOG_ENTRIES * 1000;
  const batches: number[] = [];
  for (let i = 1; i <= LOG_ENTRIES; i += 1000) batches.push(i);
  await inParallel(batches, async (i) => {
    const docs = [];
    for (let seq = i; seq < Math.min(LOG_ENTRIES + 1, i + 1000); seq++) {
      const at = new Date(first + seq * 1000);
      const status = seq % 50 === 0 ? 409 : seq % 3 === 0 ? 201 : 200;
      const user = userId(seq % USERS);
      const method = status === 200 ? 'GET' : 'POST';
      const path = method === 'GET' ? `/Users/${user}` : '/Users';
      const text = JSON.stringify({ schemas: [USER_URN], id: user, userName: `${user}@example.com`, active: true });
      docs.push({
        _id: `${directoryId}.${seq}`, orgId, directoryId, seq, block: Math.floor(seq / REQUEST_BLOCK_SIZE), day: Math.floor(at.getTime() / 86_400_000), at,
        method, path, resource: 'Users', status, statusClass: `${Math.floor(status / 100)}xx`, latencyMs: 4 + (seq % 7), userAgent: 'Okta SCIM Client 1.0.0', requestId: `bench-${seq}`,
        request: method === 'GET' ? { text: null, chars: 0, isTruncated: false } : { text, chars: text.length, isTruncated: false },
        response: status === 409 ? { text: '{"status":"409","scimType":"uniqueness"}', chars: 40, isTruncated: false } : { text, chars: text.length, isTruncated: false },
        failure: status === 409 ? { detail: 'userName is taken', scimType: 'uniqueness', reason: 'A user with this userName already exists.' } : null,
      });
    }
    await c.requestLogModels.entries.collection.insertMany(docs as never[]);
  });
  await c.requestLogModels.summaries.collection.insertOne({ _id: directoryId, orgId, seq: LOG_ENTRIES, firstAt: new Date(first), lastAt: new Date(now), lastStatus: 200, lastMethod: 'GET', lastPath: `/Users/${userId(0)}`, minutes: {} } as never);
  return { userId: userId(42) };
}

/**
 * Records, in the page, when the first h1 and the first data row (a tbody row that is not the empty-state row)
 * are on screen, against the navigation's start: a MutationObserver sees them as React commits them, with no
 * round trip to the driver in the figure. A string, because the root tsconfig has no DOM types.
 */
const MARKS_SCRIPT = `(() => {
  const marks = (window.__benchMarks = {});
  const seen = () => {
    if (!marks.heading && document.querySelector('h1')) marks.heading = performance.now();
    const row = document.querySelector('tbody tr:not(:has(td.empty))');
    if (!marks.row && row && row.getBoundingClientRect().height > 0) marks.row = performance.now();
    const any = document.querySelector('tbody tr');
    if (!marks.anyRow && any && any.getBoundingClientRect().height > 0) marks.anyRow = performance.now();
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
})();`;

interface Marks { fcp: number; heading: number; row: number }

/** `anyRow` also counts the empty-state row: the answer arrived and the list is drawn, even when it is empty. */
type RowMark = 'row' | 'anyRow';

async function measure(page: Page, url: string, mark: RowMark): Promise<Marks> {
  await page.goto(url);
  await page.waitForFunction((k) => {
    const m = (globalThis as unknown as { __benchMarks?: Record<string, number> }).__benchMarks;
    return Boolean(m && m[k]);
  }, mark, { timeout: 30_000 });
  return page.evaluate((k) => {
    const g = globalThis as unknown as { __benchMarks: Record<string, number>; performance: { getEntriesByName(n: string): Array<{ startTime: number }> } };
    const fcp = g.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
    return { fcp, heading: g.__benchMarks.heading, row: g.__benchMarks[k] };
  }, mark);
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) execFileSync('npm', ['run', 'build:console', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const dbName = `bench_console_${Date.now()}`;
  const env = { ...process.env, LOG_LEVEL: 'silent', SCIM_RATE_LIMIT_PER_SECOND: '0', QUEUE_PREFIX: dbName, IN_PROCESS_WORKERS: 'false' };
  const c = await createContainer(loadConfig({ ...env, SCIM_REQUEST_LOG_DAYS: '7' }), { dbName });
  // The log-off arm: a second container on the same database, configured as an operator would switch the log off.
  const cOff = await createContainer(loadConfig({ ...env, SCIM_REQUEST_LOG_DAYS: '0' }), { dbName });
  await c.ensureIndexes();
  const on = await listen(buildApp(c));
  const off = await listen(buildApp(cOff));
  const { org } = await c.tenancy.ensureOrganization('bench-console');
  const { directory, token } = await c.tenancy.createDirectory({ orgId: org._id, name: 'okta-production', provider: 'okta' });
  const t0 = performance.now();
  const { userId } = await seed(c, org._id, directory._id);
  console.log(`backend: ${c.store.backend}; seeded ${USERS.toLocaleString('en-US')} users, ${GROUPS.toLocaleString('en-US')} groups (${MEMBERS_PER_GROUP} members each), ${LOG_ENTRIES.toLocaleString('en-US')} request-log entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Same-run baseline: the console's index.html from the same server, no database involved.
  const bare: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await fetch(`${on.url}/console/`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET /console/: HTTP ${res.status}`);
    bare.push(performance.now() - t);
  }
  console.log(`baseline: bare GET /console/ (index.html), 20 requests: p50 ${pct(bare, 0.5).toFixed(1)} ms, max ${Math.max(...bare).toFixed(1)} ms`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The flags of test/browser/browser-support.ts: no sandbox in the container, nothing calling out.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript({ content: MARKS_SCRIPT });
  const page = await context.newPage();
  const { secret } = await c.rbac.createAdminKey(org._id, 'bench-owner', 'preset:org-owner');
  await page.goto(`${on.url}/console/`);
  await page.getByLabel('Admin key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 30_000 });

  const screens: Array<[string, string, RowMark]> = [
    ['Overview', '/console/', 'row'],
    ['Users list', `/console/users?directory=${directory._id}`, 'row'],
    // Its list is the user's effective access, drawn once the access answer is in.
    ['User page', `/console/users/${directory._id}/${userId}`, 'anyRow'],
    ['Request log', `/console/requests?directory=${directory._id}`, 'row'],
  ];
  console.log(`\nconsole screens, ${REPEATS} full page loads each (signed in, assets cached after the first); ms from navigation start, p50 / max; target ${TARGET_MS} ms`);
  console.log(`  ${'screen'.padEnd(12)} ${'first paint'.padStart(14)} ${'heading'.padStart(14)} ${'first row'.padStart(14)} ${'(1st load row)'.padStart(15)}`);
  for (const [name, path, mark] of screens) {
    const runs: Marks[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await measure(page, `${on.url}${path}`, mark).catch(async (err) => {
      process.stderr.write(`${name} never showed its first row; the page was at ${page.url()}\n`);
      throw err;
    }));
    // BENCH_CONSOLE_SHOTS=<dir> keeps a picture of each screen as measured, to check it showed the seeded data.
    if (process.env.BENCH_CONSOLE_SHOTS) await page.screenshot({ path: join(process.env.BENCH_CONSOLE_SHOTS, `console-bench-${name.replace(/\W+/g, '-').toLowerCase()}.png`) });
    const col = (k: keyof Marks) => `${pct(runs.map((r) => r[k]), 0.5).toFixed(0)} / ${Math.max(...runs.map((r) => r[k])).toFixed(0)}`.padStart(14);
    const worst = Math.max(...runs.map((r) => r.row));
    console.log(`  ${name.padEnd(12)} ${col('fcp')} ${col('heading')} ${col('row')} ${runs[0].row.toFixed(0).padStart(15)}  ${worst <= TARGET_MS ? 'within' : 'OVER'} target`);
  }
  await browser.close();

  // The log's write cost: one request at a time, as an IdP sends them, alternating which arm goes first.
  const headers = { authorization: `Bearer ${token.token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' };
  let n = 0;
  const shapes: Record<string, (base: string) => Promise<Response>> = {
    'GET /scim/v2/Users/{id}': (base) => fetch(`${base}/scim/v2/Users/cu-${String((n++ * 7919) % USERS).padStart(6, '0')}`, { headers }),
    'POST /scim/v2/Users': (base) => fetch(`${base}/scim/v2/Users`, { method: 'POST', headers, body: JSON.stringify({ schemas: [USER_URN], userName: `new-${process.pid}-${n++}@example.com`, active: true }) }),
  };
  console.log(`\nrequest log write cost: SCIM_REQUEST_LOG_DAYS=7 vs 0, ${SCIM_ROUNDS} alternating rounds of ${SCIM_REQUESTS} sequential requests per arm; target ratio at most 1.10`);
  for (const [name, send] of Object.entries(shapes)) {
    const samples: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let round = 0; round < SCIM_ROUNDS; round++) {
      for (const arm of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        for (let i = 0; i < SCIM_REQUESTS; i++) {
          const t = performance.now();
          const res = await send(arm === 'on' ? on.url : off.url);
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
          samples[arm].push(performance.now() - t);
        }
        // This round's buffered entries are written before the next round, so no round pays for another's.
        await c.requestLog?.flush();
      }
    }
    const line = (arm: 'on' | 'off') => `${arm === 'on' ? 'log on (7 days)' : 'log off (0)    '} mean ${mean(samples[arm]).toFixed(2)} ms, p50 ${pct(samples[arm], 0.5).toFixed(2)} ms, p99 ${pct(samples[arm], 0.99).toFixed(1)} ms`;
    console.log(`${name}\n  ${line('off')}\n  ${line('on')}`);
    console.log(`  ratio on/off: mean ${(mean(samples.on) / mean(samples.off)).toFixed(3)}x, p50 ${(pct(samples.on, 0.5) / pct(samples.off, 0.5)).toFixed(3)}x (target at most 1.10x)`);
  }

  on.server.close();
  off.server.close();
  await c.mongo.db!.dropDatabase();
  await cOff.close();
  await c.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
