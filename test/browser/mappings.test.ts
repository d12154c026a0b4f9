import request from 'supertest';
import type { BrowserContext, Page } from 'playwright-core';
import { GROUP_URN, newUser } from '../support/harness';
import { waitUntil } from '../support/seed';
import { browserAvailable, collectPageErrors, seriousA11yViolations, startLive, type Live } from './browser-support';

// The Mappings, Groups, Roles, Changes, Deprovisioning, Audit and Webhooks screens in a real headless
// Chromium: a mapping is created only after its impact preview is read, with exact numbers, and then
// shows in a member's access; every screen passes axe; a reader key sees no write control on them.

const describeInBrowser = browserAvailable() ? describe : describe.skip;
/** SCREENS_SHOTS=<dir> keeps a picture of each screen, to look at them as an admin would. */
const shot = (p: Page, name: string) => (process.env.SCREENS_SHOTS ? p.screenshot({ path: `${process.env.SCREENS_SHOTS}/${name}.png`, fullPage: true }) : Promise.resolve());

describeInBrowser('the mappings and administration screens', () => {
  let live: Live;
  let orgId: string;
  let owner: { secret: string; api: ReturnType<typeof api> };
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const ids: Record<string, string> = {};
  let research = '';

  const api = (secret: string) => ({
    post: (path: string, body: unknown) => request(live.h.app).post(`/api/v1${path}`).set('Authorization', `Bearer ${secret}`).send(body as object),
    get: (path: string) => request(live.h.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${secret}`),
  });

  beforeAll(async () => {
    live = await startLive();
    const dir = await live.h.directory('okta', 'globex');
    orgId = dir.orgId;
    const key = await live.h.adminKey(orgId);
    owner = { secret: key.secret, api: api(key.secret) };
    const scim = (path: string, body: unknown) => request(live.h.app).post(`/scim/v2${path}`).set('Authorization', `Bearer ${dir.token}`).set('Content-Type', 'application/scim+json').send(body as object);
    for (const name of ['alice', 'bob', 'carol']) ids[name] = (await scim('/Users', newUser(`${name}@globex.test`))).body.id;
    ids.dave = (await scim('/Users', newUser('dave@globex.test', { active: false }))).body.id;
    ids.ml = (await scim('/Groups', { schemas: [GROUP_URN], displayName: 'ML', members: [{ value: ids.carol }, { value: ids.dave }] })).body.id;
    ids.research = (await scim('/Groups', { schemas: [GROUP_URN], displayName: 'Research', members: [{ value: ids.alice }, { value: ids.bob }, { value: ids.ml }] })).body.id;
    research = (await owner.api.post(`/orgs/${orgId}/projects`, { name: 'Research' })).body.id;
    ids.modelUsers = (await owner.api.post(`/orgs/${orgId}/roles`, { name: 'Model users', permissions: ['api.model.read', 'api.model_capability.request'] })).body.id;
    ids.modelReaders = (await owner.api.post(`/orgs/${orgId}/roles`, { name: 'Model readers', permissions: ['api.model.read'] })).body.id;
    // alice already reads models in Research through her own binding.
    const own = await owner.api.post(`/orgs/${orgId}/bindings`, { principal: { type: 'user', id: ids.alice }, scope: { type: 'project', projectId: research }, roleId: ids.modelReaders });
    expect(own.status).toBe(201);
    await waitUntil('propagation to settle', async () => (await owner.api.get(`/orgs/${orgId}/propagation`)).body.pending === 0, 60_000, 200);
    context = await live.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page);
    await signIn(page, owner.secret);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await live?.close();
  });

  async function signIn(p: Page, secret: string) {
    await p.goto(`${live.baseUrl}/console/`);
    await p.getByLabel('Admin key').fill(secret);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }
  const expectAccessible = async (p: Page = page) => expect(await seriousA11yViolations(p)).toEqual([]);
  const heading = (name: string, p: Page = page) => p.getByRole('heading', { level: 1, name }).waitFor();
  const text = async (l: { textContent(): Promise<string | null> }) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

  it('creates a mapping after reading its impact preview, with exact numbers', async () => {
    await page.getByRole('link', { name: 'Mappings' }).click();
    await heading('Mappings');
    await page.getByRole('table', { name: '1 mapping' }).waitFor();
    await expectAccessible();
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Research (3 members)' });
    await page.getByLabel('Role').selectOption({ label: 'Model users' });
    await page.getByLabel('Where').selectOption({ label: 'project Research' });
    await page.getByRole('button', { name: 'Preview impact' }).click();
    const impact = page.getByRole('region', { name: 'Impact preview' });
    await impact.first().waitFor();
    expect(await text(impact.first().locator('p').first())).toBe(
      'Research reaches 4 users through its members and nested groups (1 deactivated user gains nothing). Binding Model users to it:',
    );
    expect((await page.getByTestId('impact-lines').getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' '))).toEqual([
      'grants api.model.read in Research to 2 users; 1 already has it',
      'grants api.model_capability.request in Research to 3 users; 0 already have it',
    ]);
    await expectAccessible();
    await shot(page, 'mappings-preview');
    // Changing an input withdraws the preview: Save only ever sends what was previewed.
    await page.getByLabel('Where').selectOption({ label: 'the whole organization' });
    expect(await page.getByRole('button', { name: 'Save mapping' }).count()).toBe(0);
    await page.getByLabel('Where').selectOption({ label: 'project Research' });
    await page.getByRole('button', { name: 'Preview impact' }).click();
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await page.getByText('Saved: Research now holds Model users.').waitFor();
    const table = page.getByRole('table', { name: '2 mappings' });
    await table.waitFor();
    expect(await text(table.getByRole('row').nth(1))).toContain('group Research');
    expect(await text(table.getByRole('row').nth(1))).toContain('Model users');
    const bindings = (await owner.api.get(`/orgs/${orgId}/bindings?principalType=group`)).body.bindings;
    expect(bindings).toEqual([expect.objectContaining({ principal: { type: 'group', id: ids.research, display: 'Research' }, scope: { type: 'project', projectId: research }, roleId: ids.modelUsers })]);
  });

  it("then shows the mapping in a member's access, through the group", async () => {
    await waitUntil('bob to hold the capability', async () => (await owner.api.post('/access/check', { subject: { userId: ids.bob }, permission: 'api.model_capability.request', projectId: research })).body.allowed === true, 30_000, 200);
    const dirId = (await live.h.c.tenancy.listDirectories(orgId))[0]._id;
    await page.goto(`${live.baseUrl}/console/users/${dirId}/${ids.bob}`);
    const access = page.getByRole('table', { name: /Permissions and how each is granted/ });
    await access.waitFor();
    const row = access.getByRole('row').filter({ hasText: 'api.model_capability.request' });
    expect(await text(row)).toContain('role Model users on project Research, bound to group Research');
  });

  it('deletes a mapping', async () => {
    await page.getByRole('link', { name: 'Mappings' }).click();
    await page.getByRole('table', { name: '2 mappings' }).waitFor();
    await page.getByRole('button', { name: 'Delete the mapping of group Research to Model users' }).click();
    await page.getByRole('table', { name: '1 mapping' }).waitFor();
    expect((await owner.api.get(`/orgs/${orgId}/bindings?principalType=group`)).body.bindings).toEqual([]);
  });

  it('lists the groups with member counts and opens a group with its members and mappings', async () => {
    await page.getByRole('link', { name: 'Groups' }).click();
    await heading('Groups');
    const table = page.getByRole('table', { name: '2 groups' });
    await table.waitFor();
    expect(await text(table.getByRole('row').filter({ hasText: 'Research' }))).toContain('Research3');
    await expectAccessible();
    await shot(page, 'groups');
    await table.getByRole('link', { name: 'Research' }).click();
    await heading('Group Research');
    const members = page.getByRole('table', { name: '3 direct members' });
    await members.waitFor();
    expect((await members.getByRole('link').allTextContents()).sort()).toEqual(['ML', 'alice@globex.test', 'bob@globex.test']);
    await page.getByText('No mapping names this group: its members hold nothing through it.').waitFor();
    await expectAccessible();
    await members.getByRole('link', { name: 'ML' }).click();
    await heading('Group ML');
    expect(await text(page.getByRole('table', { name: '2 direct members' }).getByRole('row').filter({ hasText: 'dave' }))).toContain('deactivated');
  });

  it('shows the permission matrix and creates and edits a custom role', async () => {
    await page.getByRole('link', { name: 'Roles and permissions' }).click();
    await heading('Roles and permissions');
    const matrix = page.getByRole('table', { name: /permissions × 7 roles and policies/ });
    await matrix.waitFor();
    const cols = await matrix.getByRole('columnheader').allTextContents();
    const modelUsers = cols.findIndex((c) => c.startsWith('Model users'));
    const readRow = matrix.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^api\.model\.read/ }) });
    expect(await readRow.getByRole('cell').nth(modelUsers - 1).textContent()).toBe('✓yes');
    const capRow = matrix.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^api\.model_capability\.request/ }) });
    expect(await capRow.getByRole('cell').nth(cols.findIndex((c) => c.startsWith('Model readers')) - 1).textContent()).toBe('no');
    await expectAccessible();
    await shot(page, 'roles');
    await page.getByRole('button', { name: 'New custom role' }).click();
    const form = page.getByRole('form', { name: 'New custom role' });
    await form.getByLabel('Name').fill('Auditors');
    await form.getByRole('checkbox', { name: 'api.model.read' }).check();
    await expectAccessible();
    await form.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('table', { name: /permissions × 8 roles and policies/ }).waitFor();
    await page.getByRole('button', { name: 'Edit Auditors' }).click();
    const edit = page.getByRole('form', { name: 'Edit role Auditors' });
    await edit.getByRole('checkbox', { name: 'api.model_capability.request' }).check();
    await edit.getByRole('button', { name: 'Save role' }).click();
    await page.getByRole('button', { name: 'New custom role' }).waitFor();
    const roles = (await owner.api.get(`/orgs/${orgId}/roles`)).body.roles;
    expect(roles.find((r: { name: string }) => r.name === 'Auditors').permissions.sort()).toEqual(['api.model.read', 'api.model_capability.request']);
  });

  it('shows pending and failed changes and retries a failed one', async () => {
    await live.h.c.changeDocs.create({ _id: `chg-failed-${Date.now()}`, orgId, kind: 'user.created', userIds: [ids.alice], groupIds: [], serviceAccountIds: [], wholeOrg: false, status: 'failed', acceptedAt: new Date(), appliedAt: null, lagMs: null, attempts: 5, error: 'the store did not answer' });
    await page.getByRole('link', { name: 'Changes' }).click();
    await heading('Changes');
    const failed = page.getByRole('table', { name: '1 failed change' });
    await failed.waitFor();
    expect(await text(failed.getByRole('row').nth(1))).toContain('the store did not answer');
    await page.getByRole('table', { name: /^Lag from/ }).waitFor();
    await expectAccessible();
    await shot(page, 'changes');
    await failed.getByRole('button', { name: /^Retry change/ }).click();
    await page.getByText(/is queued again/).waitFor();
    await page.getByRole('table', { name: '0 failed changes' }).waitFor();
  });

  it('lists a deactivation on the deprovisioning report', async () => {
    const dir = (await live.h.c.tenancy.listDirectories(orgId))[0];
    const token = (await live.h.c.tenancy.issueToken(dir._id)).token;
    const off = await request(live.h.app).patch(`/scim/v2/Users/${ids.carol}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/scim+json')
      .send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(off.status).toBe(200);
    await page.getByRole('link', { name: 'Deprovisioning report' }).click();
    await heading('Deprovisioning report');
    const table = page.getByRole('table', { name: /^1 deprovisioning, latest first/ });
    await table.waitFor();
    expect(await text(table.getByRole('row').nth(1))).toContain(`deactivated${ids.carol}`);
    await expectAccessible();
  });

  it('filters the audit log and exports it as CSV and NDJSON', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await heading('Audit log');
    await page.getByRole('table', { name: /^Audit events 1 to/ }).waitFor();
    await expectAccessible();
    await page.getByLabel('Action').fill('binding.created');
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByRole('table', { name: 'Audit events 1 to 2, newest first' });
    await table.waitFor();
    expect(await table.getByRole('row').filter({ hasText: 'binding.created' }).count()).toBe(2);
    await shot(page, 'audit');
    const read = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      const chunks: Buffer[] = [];
      for await (const c of (await download.createReadStream())!) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8').trim().split('\n');
    };
    const csv = await read('Export CSV');
    expect(csv[0]).toBe('at,action,actorType,actorId,actorName,targetType,targetId,targetDisplay,requestId,changeId,summary');
    expect(csv.slice(1).map((l) => l.split(',')[1])).toEqual(['binding.created', 'binding.created']);
    const ndjson = (await read('Export NDJSON')).map((l) => JSON.parse(l));
    expect(ndjson.map((e) => e.action)).toEqual(['binding.created', 'binding.created']);
    await page.getByText('Exported 2 events as NDJSON.').waitFor();
  });

  it('adds a webhook endpoint with its secret shown once, pauses, resumes, tests and deletes it', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await heading('Webhooks');
    await page.getByRole('table', { name: '0 endpoints' }).waitFor();
    await page.getByLabel('Endpoint URL (https)').fill('https://hooks.example.com/scim');
    await page.getByLabel('Event types (empty for all)').fill('user.deactivated, access.revoked');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByRole('table', { name: '1 endpoint' }).getByRole('row').nth(1);
    await row.waitFor();
    expect(await text(row)).toContain('user.deactivated, access.revoked');
    await expectAccessible();
    await shot(page, 'webhooks');
    await page.getByRole('button', { name: 'Pause https://hooks.example.com/scim' }).click();
    await page.getByText('Paused https://hooks.example.com/scim: deliveries wait.').waitFor();
    await page.getByRole('button', { name: 'Resume https://hooks.example.com/scim' }).click();
    await page.getByText('Resumed https://hooks.example.com/scim.').waitFor();
    await page.getByRole('button', { name: 'Send test event to https://hooks.example.com/scim' }).click();
    await page.getByText('A webhook.test event is on its way to https://hooks.example.com/scim.').waitFor();
    await page.getByRole('button', { name: 'Deliveries to https://hooks.example.com/scim' }).click();
    await page.getByRole('heading', { level: 2, name: 'Deliveries to https://hooks.example.com/scim' }).waitFor();
    await page.getByRole('cell', { name: /webhook\.test/ }).waitFor({ timeout: 20_000 });
    await expectAccessible();
    await page.reload();
    await heading('Webhooks');
    await page.getByRole('table', { name: '1 endpoint' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Delete https://hooks.example.com/scim' }).click();
    await page.getByRole('table', { name: '0 endpoints' }).waitFor();
  });

  it('shows a reader the mappings, roles, changes and webhooks without any write control', async () => {
    const reader = await live.h.adminKey(orgId, 'preset:org-reader');
    await owner.api.post(`/orgs/${orgId}/webhooks`, { url: 'https://hooks.example.com/reader' });
    const readerContext = await live.browser.newContext();
    try {
      const p = await readerContext.newPage();
      await signIn(p, reader.secret);
      const screens: Array<[string, string, string]> = [
        ['Mappings', 'Mappings', '1 mapping'],
        ['Roles and permissions', 'Roles and permissions', ''],
        ['Changes', 'Changes', '0 failed changes'],
        ['Webhooks', 'Webhooks', '1 endpoint'],
      ];
      for (const [link, title, table] of screens) {
        await p.getByRole('link', { name: link }).click();
        await heading(title, p);
        if (table) await p.getByRole('table', { name: table }).waitFor();
        else await p.getByRole('table', { name: /permissions ×/ }).waitFor();
        expect(await p.getByRole('button', { name: /Delete|Preview|Save|New custom role|Edit|Retry|Pause|Resume|Send|Rotate|Add endpoint|Redeliver|Replay/ }).count()).toBe(0);
        await expectAccessible(p);
      }
      expect(await p.getByRole('form', { name: 'New mapping' }).count()).toBe(0);
    } finally {
      await readerContext.close();
    }
  });

  it('raised no console error on any screen', () => {
    expect(errors).toEqual([]);
  });
});
