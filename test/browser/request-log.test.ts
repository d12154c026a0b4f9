import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { fixture, replay, type World } from '../support/fixtures';
import type { TestDirectory } from '../support/harness';
import { browserAvailable, collectPageErrors, seriousA11yViolations, startLive, type Live } from './browser-support';

// The SCIM request log and the overview's live figures in a real headless Chromium: an Okta push replayed
// from fixtures/okta turns the overview's "waiting for the first request" into "first request received",
// and the log lists each request, filters by status, and shows a failed one's reason with its password masked.

const describeInBrowser = browserAvailable() ? describe : describe.skip;
const DOCS = join(__dirname, '..', '..', 'docs');
const shoot = (page: Page, name: string) => (process.env.CONSOLE_SCREENSHOTS ? page.screenshot({ path: join(DOCS, name), fullPage: true }) : Promise.resolve());
const OKTA_PASSWORD = 'Sup3r-Secret-1mz050nq';

describeInBrowser('the SCIM request log in the console', () => {
  let live: Live;
  let dir: TestDirectory;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    live = await startLive();
    const { org } = await live.h.c.tenancy.ensureOrganization('globex');
    const { directory, token } = await live.h.c.tenancy.createDirectory({ orgId: org._id, name: 'okta-prod', provider: 'okta' });
    dir = { orgId: org._id, directoryId: directory._id, token: token.token, provider: 'okta' };
    const owner = await live.h.adminKey(org._id);
    // Changes applied a few minutes ago, one of them over the 1 s goal, so the overview's lag chart has minutes to draw.
    const now = Date.now();
    const applied = (id: string, agoMs: number, lagMs: number) => ({ _id: id, orgId: org._id, kind: 'user.created', userIds: [], groupIds: [], serviceAccountIds: [], wholeOrg: false, status: 'applied', acceptedAt: new Date(now - agoMs - lagMs), appliedAt: new Date(now - agoMs), lagMs, attempts: 1, error: null });
    await live.h.c.changeDocs.collection.insertMany([applied('lag-a', 5 * 60_000, 120), applied('lag-b', 3 * 60_000, 1400), applied('lag-c', 60_000, 80)] as never[]);
    context = await live.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
    await page.goto(`${live.baseUrl}/console/`);
    await page.getByLabel('Admin key').fill(owner.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await live?.close();
  });

  const expectAccessible = async () => expect(await seriousA11yViolations(page)).toEqual([]);
  const connection = () => page.getByTestId(`connection-${dir.directoryId}`);

  it('shows "waiting for the first request" until Okta pushes, then "first request received" without a reload', async () => {
    await connection().getByText('waiting for the first request', { exact: true }).waitFor();
    const chart = page.getByRole('figure', { name: 'Propagation lag per minute, last hour (goal: applied within 1 s)' });
    await chart.locator('.recharts-line-curve').nth(1).waitFor();
    await expect(chart.locator('figcaption').textContent()).resolves.toBe('3 minutes with applied changes; p99 over the 1 s goal in 1 of them.');
    await expectAccessible();

    // Okta's push of a newly assigned user: look the userName up, create it (with a password), retry the
    // create (409), then deactivate it.
    const world: World = { dir, ids: {} };
    expect((await replay(live.h, world, fixture('okta/get-users-filter-username.json'))).status).toBe(200);
    const created = await replay(live.h, world, fixture('okta/post-user.json'));
    expect(created.status).toBe(201);
    expect((await replay(live.h, world, fixture('okta/post-user.json'))).status).toBe(409);
    world.ids.userId = created.body.id;
    expect((await replay(live.h, world, fixture('okta/patch-user-deactivate.json'))).status).toBe(200);

    await page.getByText('first request received', { exact: false }).waitFor({ timeout: 15_000 });
    await expect(connection().textContent()).resolves.toBe('first request received');
    const row = page.getByRole('table', { name: 'Identity-provider connections' }).getByRole('row').nth(1);
    await expect(row.textContent()).resolves.toContain(`: PATCH /Users/${created.body.id} 200`);
    await expect(row.textContent()).resolves.toContain('25% (1 of 4)');
    await expectAccessible();
    await shoot(page, 'console-overview-live.png');
  });

  it('lists every request newest first with method, path, status, latency and the IdP user agent', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'SCIM request log' }).click();
    await page.getByRole('heading', { level: 1, name: 'SCIM request log' }).waitFor();
    const table = page.getByRole('table', { name: 'Newest requests' });
    await table.waitFor();
    const rows = table.getByRole('row');
    await expect(rows.count()).resolves.toBe(5);
    const cells = async (i: number) => (await rows.nth(i).getByRole('cell').allTextContents()).slice(1);
    expect((await cells(1)).filter((_, i) => i !== 3)).toEqual(['PATCH', expect.stringMatching(/^\/Users\//), '200', '', 'Okta SCIM Client 1.0.0']);
    expect(await cells(2)).toEqual(['POST', '/Users', '409', expect.stringMatching(/ ms$/), 'A user or group with the same unique value (userName, externalId or displayName) already exists in this directory.', 'Okta SCIM Client 1.0.0']);
    expect((await cells(3)).slice(0, 3)).toEqual(['POST', '/Users', '201']);
    expect((await cells(4)).slice(0, 3)).toEqual(['GET', '/Users?filter=userName eq "okta.create.jdoe@example.com"&startIndex=1&count=100', '200']);
    await expectAccessible();
    await shoot(page, 'console-request-log.png');
  });

  it('filters by status and opens a failed request with its reason and the password masked', async () => {
    await page.getByLabel('Status').selectOption('4xx');
    const table = page.getByRole('table', { name: 'Newest requests (status 4xx)' });
    await table.waitFor();
    await expect(table.getByRole('row').count()).resolves.toBe(2);
    await table.getByRole('row').nth(1).getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'POST /Users' }).waitFor();
    const why = page.getByRole('note', { name: 'Why the request failed' });
    await expect(why.textContent()).resolves.toContain('Why it failed: A user or group with the same unique value');
    await expect(why.textContent()).resolves.toContain('SCIM error type: uniqueness');
    const sent = await page.getByLabel('Request body').textContent();
    expect(sent).toContain('"password": "********"');
    expect(sent).toContain('"userName": "okta.create.jdoe@example.com"');
    expect(await page.content()).not.toContain(OKTA_PASSWORD);
    await expectAccessible();
    await shoot(page, 'console-request-detail.png');
    expect(errors).toEqual([]);
  });
});
