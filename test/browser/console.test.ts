import request from 'supertest';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { GROUP_URN, newUser } from '../support/harness';
import { browserAvailable, collectPageErrors, seriousA11yViolations, startLive, type Live } from './browser-support';

// The admin console in a real headless Chromium against the real app: sign in with an admin key, create a
// directory and see its token once, push users through SCIM with that token and page through them, read
// a user's access and its grant path, check access, what a reader sees, and signing out.

const describeInBrowser = browserAvailable() ? describe : describe.skip;
const DOCS = join(__dirname, '..', '..', 'docs');
/** `npm run screenshots` refreshes the README's pictures; a plain test run leaves docs/ alone. */
const shoot = (page: Page, name: string) => (process.env.CONSOLE_SCREENSHOTS ? page.screenshot({ path: join(DOCS, name) }) : Promise.resolve());

describeInBrowser('the admin console', () => {
  let live: Live;
  let orgId: string;
  let owner: { secret: string };
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    live = await startLive();
    const { org } = await live.h.c.tenancy.ensureOrganization('acme');
    orgId = org._id;
    owner = await live.h.adminKey(orgId);
    context = await live.browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await live?.close();
  });

  const expectAccessible = async () => expect(await seriousA11yViolations(page)).toEqual([]);
  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const scim = (token: string) => ({
    post: (path: string, body: unknown) => request(live.h.app).post(`/scim/v2${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/scim+json').send(body as object),
  });
  let token = '';
  let directoryId = '';

  it('asks for an admin key, refuses a wrong one, and signs in with a right one', async () => {
    await page.goto(`${live.baseUrl}/console/`);
    await heading('Sign in to scim-sync').waitFor();
    await expectAccessible();
    await page.getByLabel('Admin key').fill('adm_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That admin key is not valid.');
    await page.getByLabel('Admin key').fill(owner.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview').waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Directories',
      'Users',
      'SCIM request log',
      'Groups',
      'Mappings',
      'Roles and permissions',
      'Changes',
      'Deprovisioning report',
      'Audit log',
      'Webhooks',
      'Staged deprovisioning',
      'Access checker',
    ]);
    await expect(page.locator('.who').textContent()).resolves.toBe('acme · key test-preset:org-owner');
    await expectAccessible();
  });

  it('keeps the admin key out of browser storage and in an HttpOnly cookie only', async () => {
    // Runs in the page; the root tsconfig has no DOM types, so the page's globals are reached through globalThis.
    const stored = await page.evaluate(() => {
      const w = globalThis as unknown as { localStorage: object; sessionStorage: object; document: { cookie: string } };
      return JSON.stringify({ local: { ...w.localStorage }, session: { ...w.sessionStorage }, cookie: w.document.cookie });
    });
    expect(stored).not.toContain(owner.secret);
    expect(stored).not.toContain('ses_');
    const [cookie] = await context.cookies();
    expect(cookie).toEqual(expect.objectContaining({ name: 'scim_sync_session', httpOnly: true, sameSite: 'Strict', path: '/' }));
  });

  it('creates an Okta directory and shows its token once, with the setup guide and base URL', async () => {
    await page.getByRole('link', { name: 'Directories' }).click();
    await heading('Directories').waitFor();
    await page.getByLabel('Name').fill('okta-prod');
    await page.getByLabel('Provider').selectOption('okta');
    await page.getByRole('button', { name: 'Create directory' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    token = (await shown.textContent()) ?? '';
    expect(token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    const panel = page.getByRole('region', { name: 'Setup guide for okta-prod' });
    await expect(panel.locator('code').first().textContent()).resolves.toBe(`${live.baseUrl}/scim/v2`);
    await expect(panel.getByRole('listitem').first().textContent()).resolves.toContain('Okta admin console');
    await expect(page.getByRole('table', { name: 'Tokens of okta-prod' }).getByRole('row').nth(1).textContent()).resolves.toContain('waiting for the first request');
    await expectAccessible();
    await shoot(page, 'console-directories.png');
    directoryId = (await live.h.c.tenancy.listDirectories(orgId))[0]._id;
  });

  it('does not show the token again after a reload, and the session survives the reload', async () => {
    await page.reload();
    await heading('Directories').waitFor();
    await page.getByRole('heading', { level: 2, name: /okta-prod/ }).waitFor();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
  });

  it('lists users the IdP pushed with that token, 20 a page, and searches them on the server', async () => {
    for (let i = 1; i <= 23; i++) {
      const n = String(i).padStart(2, '0');
      const res = await scim(token).post('/Users', newUser(`person${n}@acme.test`, { displayName: `Person ${n}` }));
      expect(res.status).toBe(201);
    }
    await page.getByRole('link', { name: 'Users' }).click();
    await heading('Users').waitFor();
    const table = page.getByRole('table', { name: '23 users' });
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBe(21);
    await expect(table.getByRole('row').nth(1).textContent()).resolves.toContain('person01@acme.test');
    await expect(page.getByText('Page 1 of 2').count()).resolves.toBe(1);
    await expectAccessible();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await table.getByRole('link', { name: 'person21@acme.test' }).waitFor();
    expect(await table.getByRole('link').allTextContents()).toEqual(['person21@acme.test', 'person22@acme.test', 'person23@acme.test']);
    await page.getByLabel('Search user name, name or external id').fill('PERSON07');
    await page.getByRole('button', { name: 'Search' }).click();
    const found = page.getByRole('table', { name: '1 user matching “PERSON07”' });
    await found.waitFor();
    expect(await found.getByRole('link').allTextContents()).toEqual(['person07@acme.test']);
  });

  it('shows a user\'s effective access with the binding, role and group that grant it', async () => {
    const project = await request(live.h.app).post(`/api/v1/orgs/${orgId}/projects`).set('Authorization', `Bearer ${owner.secret}`).send({ name: 'Research' });
    const users = (await live.h.c.users.list({ orgId, directoryId, provider: 'okta' }, { query: { userNameKey: 'person07@acme.test' }, skip: 0, limit: 1 })).users;
    const group = await scim(token).post('/Groups', { schemas: [GROUP_URN], displayName: 'Data-Science', members: [{ value: users[0]._id }] });
    expect(group.status).toBe(201);
    const binding = await request(live.h.app).post(`/api/v1/orgs/${orgId}/bindings`).set('Authorization', `Bearer ${owner.secret}`)
      .send({ principal: { type: 'group', displayName: 'Data-Science' }, scope: { type: 'project', projectId: project.body.id }, roleId: 'preset:project-member' });
    expect(binding.status).toBe(201);
    const applied = await request(live.h.app).get(`/api/v1/changes/${binding.headers['x-change-id']}?wait=10000`).set('Authorization', `Bearer ${owner.secret}`);
    expect(applied.body.status).toBe('applied');

    await page.getByRole('link', { name: 'person07@acme.test' }).click();
    await heading('Person 07').waitFor();
    const access = page.getByRole('table', { name: /Permissions and how each is granted/ });
    await access.waitFor();
    const row = access.getByRole('row').filter({ hasText: 'api.model.read' });
    expect((await row.getByRole('cell').allTextContents()).map((t) => t.trim())).toEqual([
      'api.model.read',
      'project Research',
      'role Project member on project Research, bound to group Data-Science',
    ]);
    await expect(page.getByRole('list', { name: 'Grant paths' }).textContent()).resolves.toMatch(/^role Project member on project Research, bound to group Data-Science: \d+ permissions$/);
    await expect(page.getByRole('definition').filter({ hasText: 'Data-Science' }).count()).resolves.toBe(1);
    await expect(page.getByLabel('SCIM attributes').textContent()).resolves.toContain('"userName": "person07@acme.test"');
    await expectAccessible();
    await shoot(page, 'console-user-access.png');
  });

  it('answers an access check with its reason and grant path', async () => {
    await page.getByRole('link', { name: 'Access checker' }).click();
    await heading('Access checker').waitFor();
    await page.getByLabel('User name').fill('person07@acme.test');
    await page.getByLabel('Permission', { exact: true }).fill('api.model.read');
    await page.getByLabel('Project (for project-level permissions)').selectOption({ label: 'Research' });
    await page.getByRole('button', { name: 'Check' }).click();
    const answer = page.getByRole('region', { name: 'Answer' });
    await answer.waitFor();
    expect((await answer.textContent())?.replace(/\s+/g, ' ')).toBe('Allowed: grantedrole Project member on project Research, bound to group Data-Science');
    await page.getByLabel('User name').fill('person08@acme.test');
    await page.getByRole('button', { name: 'Check' }).click();
    await answer.getByText('Denied').waitFor();
    await expect(answer.textContent()).resolves.toBe('Denied: no binding grants this permission');
    await expectAccessible();
  });

  it('shows each directory and the propagation figures on the overview', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await heading('Overview').waitFor();
    const dirs = page.getByRole('table', { name: 'Identity-provider connections' });
    // The SCIM requests above used the token: its last request shows as a time, not as "waiting".
    await dirs.getByRole('row').nth(1).getByRole('cell', { name: /\d{2}:\d{2}/ }).waitFor();
    const cells = (await dirs.getByRole('row').nth(1).getByRole('cell').allTextContents()).map((t) => t.trim());
    expect(cells.slice(0, 3)).toEqual(['okta-prod', 'Okta', '1 live']);
    await page.getByText('Pending changes').waitFor();
    await expectAccessible();
    await shoot(page, 'console-overview.png');
  });

  it('signs out: the page asks for a key again and the old cookie is refused', async () => {
    const [cookie] = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to scim-sync').waitFor();
    expect(await context.cookies()).toEqual([]);
    const res = await request(live.h.app).get('/api/v1/session').set('Cookie', `${cookie.name}=${cookie.value}`);
    expect(res.status).toBe(401);
    expect(errors).toEqual([]);
  });

  it('shows a reader (org-reader) only the screens its permissions read, and no write controls', async () => {
    const reader = await live.h.adminKey(orgId, 'preset:org-reader');
    const readerContext = await live.browser.newContext();
    const p = await readerContext.newPage();
    await p.goto(`${live.baseUrl}/console/directories`);
    await p.getByLabel('Admin key').fill(reader.secret);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await p.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Overview', 'Mappings', 'Roles and permissions', 'Changes', 'Webhooks', 'Access checker']);
    expect(await p.getByRole('table', { name: 'Identity-provider connections' }).count()).toBe(0);
    expect(await p.getByRole('button').allTextContents()).toEqual(['Sign out']);
    page = p;
    await expectAccessible();
    await readerContext.close();
  });
});
