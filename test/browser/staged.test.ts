import request from 'supertest';
import type { BrowserContext, Page } from 'playwright-core';
import { GROUP_URN, PATCH_URN, newUser } from '../support/harness';
import { waitUntil } from '../support/seed';
import { browserAvailable, collectPageErrors, seriousA11yViolations, startLive, type Live } from './browser-support';

// The mass-deprovisioning safety valve in a real headless Chromium: a burst of deactivations through SCIM
// above the directory's threshold is held, the console's banner and staged screen show it, the admin
// approves it there, and the held users lose their access and keys.

const describeInBrowser = browserAvailable() ? describe : describe.skip;
const SHOTS = process.env.STAGED_SCREENSHOTS;

describeInBrowser('the staged deprovisioning screen', () => {
  let live: Live;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let orgId = '';
  let directoryId = '';
  let secret = '';
  let project = '';
  const users: string[] = [];

  const admin = () => ({
    get: (path: string) => request(live.h.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${secret}`),
    post: (path: string, body: unknown) => request(live.h.app).post(`/api/v1${path}`).set('Authorization', `Bearer ${secret}`).send(body as object),
    patch: (path: string, body: unknown) => request(live.h.app).patch(`/api/v1${path}`).set('Authorization', `Bearer ${secret}`).send(body as object),
  });
  const allowed = async (userId: string) => (await admin().post('/access/check', { subject: { userId }, permission: 'api.model.read', projectId: project })).body.allowed as boolean;

  beforeAll(async () => {
    live = await startLive();
    const { org } = await live.h.c.tenancy.ensureOrganization('valve');
    orgId = org._id;
    secret = (await live.h.adminKey(orgId)).secret;
    const { directory, token } = await live.h.c.tenancy.createDirectory({ orgId, name: 'okta-prod', provider: 'okta' });
    directoryId = directory._id;
    const scim = (method: 'post' | 'patch', path: string, body: unknown) =>
      request(live.h.app)[method](`/scim/v2${path}`).set('Authorization', `Bearer ${token.token}`).set('Content-Type', 'application/scim+json').send(body as object);
    project = (await admin().post(`/orgs/${orgId}/projects`, { name: 'Research' })).body.id;
    await admin().patch(`/orgs/${orgId}/directories/${directoryId}/deprovision-guard`, { count: 2 });
    for (let i = 0; i < 5; i++) users.push((await scim('post', '/Users', newUser(`leaver${i}@example.com`))).body.id);
    await scim('post', '/Groups', { schemas: [GROUP_URN], displayName: 'Engineers', members: users.map((value) => ({ value })) });
    const b = await admin().post(`/orgs/${orgId}/bindings`, { principal: { type: 'group', displayName: 'Engineers' }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-member' });
    await admin().get(`/changes/${b.headers['x-change-id']}?wait=20000`);
    // The IdP offboards four of five at once: two pass, two are held.
    for (const u of users.slice(0, 4)) {
      const r = await scim('patch', `/Users/${u}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(r.status).toBe(200);
    }
    context = await live.browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await live?.close();
  });

  const expectAccessible = async () => expect(await seriousA11yViolations(page)).toEqual([]);

  it('announces the held burst on every screen and lists the staged users', async () => {
    await page.goto(`${live.baseUrl}/console/`);
    await page.getByLabel('Admin key').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const banner = page.locator('.staged-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('2 deprovisionings held for approval.');
    await expectAccessible();
    await banner.getByRole('link', { name: 'Review staged users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Staged deprovisioning' }).waitFor();
    await page.getByText('2 staged users').waitFor();
    const names = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(names).toEqual(['leaver2@example.com', 'leaver3@example.com']);
    expect(await page.getByLabel('Users', { exact: true }).inputValue()).toBe('2');
    await expectAccessible();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/staged.png`, fullPage: true });
    // Held, not applied: the people the IdP says left still have access.
    expect(await allowed(users[2])).toBe(true);
    expect(await allowed(users[0])).toBe(false);
  });

  it('approves the burst after a confirmation, and the held users lose their access', async () => {
    await page.getByRole('button', { name: 'Approve all 2' }).click();
    await page.getByRole('alertdialog').waitFor();
    await expectAccessible();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/staged-confirm.png`, fullPage: true });
    await page.getByRole('button', { name: 'Confirm approve' }).click();
    await page.getByText('2 approved: access revoked.').waitFor();
    await page.getByText('0 staged users').waitFor();
    await page.locator('.staged-banner').waitFor({ state: 'detached', timeout: 20_000 });
    for (const u of users.slice(2, 4)) expect(await allowed(u)).toBe(false);
    expect(await allowed(users[4])).toBe(true);
    await waitUntil('the approved deactivations are applied by the workers', async () => {
      const held = (await live.h.c.changeDocs.find({ orgId }).lean()).filter((c) => c.kind === 'user.deactivated' && users.slice(2, 4).includes(c.userIds[0]));
      return held.length === 2 && held.every((c) => c.status === 'applied');
    }, 20_000);
    await expectAccessible();
    expect(errors).toEqual([]);
  });

  it('saves a new threshold from the form', async () => {
    await page.getByLabel('Users', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Save threshold' }).click();
    await page.getByText('Threshold saved.').waitFor();
    expect((await admin().get(`/orgs/${orgId}/directories/${directoryId}/deprovision-guard`)).body).toEqual({ enabled: true, percent: 30, count: 50, windowMinutes: 10 });
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/staged-empty.png`, fullPage: true });
  });
});
