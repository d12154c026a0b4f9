import { Webhook } from 'standardwebhooks';
import { GROUP_URN, PATCH_URN, newUser, startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

let h: Harness;
let rxA: Receiver;
let rxB: Receiver;
beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  await h.startWorkers();
  rxA = await startReceiver();
  rxB = await startReceiver();
});
afterAll(async () => {
  await rxA.close();
  await rxB.close();
  await h.close();
});

describe('from a SCIM request to a signed webhook', () => {
  it('an offboarding reaches the endpoint as user.deactivated then access.revoked, signed, in order, and only the org that owns it', async () => {
    const dir = await h.directory('okta');
    const other = await h.directory('okta');
    const { api } = await h.adminKey(dir.orgId);
    const { api: otherApi } = await h.adminKey(other.orgId);
    const hook = await api.post(`/orgs/${dir.orgId}/webhooks`, { url: rxA.url, description: 'offboarding' });
    expect(hook.status).toBe(201);
    expect((await otherApi.post(`/orgs/${other.orgId}/webhooks`, { url: rxB.url })).status).toBe(201);
    const project = (await api.post(`/orgs/${dir.orgId}/projects`, { name: 'Research' })).body.id as string;

    const user = (await h.as(dir).post('/Users', newUser('leaver@example.com'))).body.id as string;
    const group = (await h.as(dir).post('/Groups', { schemas: [GROUP_URN], displayName: 'Researchers', members: [{ value: user }] })).body.id as string;
    expect((await api.post(`/orgs/${dir.orgId}/bindings`, { principal: { type: 'group', id: group }, scope: { type: 'project', projectId: project }, roleId: 'preset:project-viewer' })).status).toBe(201);
    // Something happens in the other organization too: none of it may reach this endpoint.
    await h.as(other).post('/Users', newUser('stays@example.com'));
    const off = await h.as(dir).patch(`/Users/${user}`, { schemas: [PATCH_URN], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);

    await waitUntil('access.revoked delivered', async () => rxA.accepted().some((r) => r.event.type === 'access.revoked'), 60_000, 100);
    await waitUntil('the other org’s event delivered to its own endpoint', async () => rxB.accepted().length >= 1, 60_000, 100);

    // Every request verifies with the official Standard Webhooks library and the secret shown at creation.
    const wh = new Webhook(hook.body.secret);
    for (const r of rxA.accepted()) expect(wh.verify(r.body, r.headers as Record<string, string>)).toEqual(JSON.parse(r.body));

    const aboutUser = rxA.accepted().filter((r) => r.event.subject.type === 'user' && r.event.subject.id === user).map((r) => r.event);
    expect(aboutUser.map((e) => e.type)).toEqual(['user.created', 'access.changed', 'user.deactivated', 'access.revoked']);
    const seqs = aboutUser.map((e) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    // Everything the binding granted is what the offboarding took away, in the same project.
    const granted = aboutUser[1] as unknown as { data: { scope: unknown; granted: string[] } };
    const revoked = aboutUser[3] as unknown as { data: { revoked: Array<{ scope: unknown; permissions: string[] }>; revokedKeys: number }; changeId: string };
    expect(granted.data.scope).toEqual({ type: 'project', projectId: project });
    expect(revoked.changeId).toBe(off.headers['x-change-id']);
    expect(revoked.data.revoked).toEqual([{ scope: { type: 'project', projectId: project }, permissions: granted.data.granted }]);
    expect(revoked.data.revokedKeys).toBe(0);

    expect(rxA.accepted().every((r) => r.event.orgId === dir.orgId)).toBe(true);
    expect(rxB.accepted().every((r) => r.event.orgId === other.orgId)).toBe(true);
    expect(rxB.accepted().map((r) => r.event.type)).toEqual(['user.created']);

    // The Events API shows the same events under the same ids.
    const log = await api.get(`/orgs/${dir.orgId}/events?subject=user:${user}`);
    expect(log.status).toBe(200);
    expect(log.body.events.map((e: { id: string }) => e.id)).toEqual(aboutUser.map((e) => e.id));
  });
});
