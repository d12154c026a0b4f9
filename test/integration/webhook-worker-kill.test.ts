import { spawn } from 'node:child_process';
import path from 'node:path';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';
import { createEndpoint, drafts } from '../support/webhook-fixtures';
import { startReceiver } from '../support/webhook-receiver';

const ROOT = path.join(__dirname, '..', '..');
const QUICK = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '2000', SWEEP_GRACE_MS: '500', SWEEP_INTERVAL_MS: '200', WORKER_LOCK_MS: '3000' };

let h: Harness;
beforeAll(async () => {
  h = await startHarness(QUICK);
});
afterAll(async () => h.close());

describe('a worker process killed in the middle of a delivery', () => {
  it('loses nothing: another worker sends the event again with the same id, and the subject keeps its order', async () => {
    const orgId = `org-kill-${Date.now()}`;
    // The first request about u1 is never answered: the worker sending it is killed while it waits
    // (u2's event goes in parallel and may arrive first).
    let hungOnce = false;
    const rx = await startReceiver((r) => {
      if (r.event.subject.id !== 'u1' || hungOnce) return { status: 200 };
      hungOnce = true;
      return 'hang';
    });
    const ep = await createEndpoint(h, orgId, rx.url);
    const dbName = h.c.mongo.db!.databaseName;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'index.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...QUICK,
        MONGO_URL: `${h.config.MONGO_URL.replace(/\/[^/]*$/, '')}/${dbName}`,
        QUEUE_PREFIX: h.config.QUEUE_PREFIX,
        SWEEP_INTERVAL_MS: '600000',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    try {
      const [a, b, c] = drafts(orgId, [{ subject: 'u1' }, { subject: 'u1' }, { subject: 'u2' }]);
      await h.c.events.recorder.record([a, b, c]);
      await waitUntil('the child worker to be sending the first event', async () => rx.requests.some((r) => r.event.id === a._id), 60_000, 50);
      child.kill('SIGKILL');
      await h.startWorkers({ sweepIntervalMs: 200 });
      await waitUntil(
        'every event delivered by the surviving worker',
        async () => (await h.c.events.models.deliveries.countDocuments({ endpointId: ep._id, state: 'delivered' })) === 3,
        60_000,
        100,
      );
      const accepted = rx.accepted().map((r) => r.event.id);
      expect(new Set(accepted)).toEqual(new Set([a._id, b._id, c._id]));
      expect(accepted.filter((id) => id === a._id)).toHaveLength(1);
      // u1's second event went only after its first was delivered.
      expect(accepted.indexOf(a._id)).toBeLessThan(accepted.indexOf(b._id));
      const hung = rx.requests.find((r) => r.event.id === a._id)!;
      const resent = rx.accepted().find((r) => r.event.id === a._id)!;
      expect(resent.headers['webhook-id']).toBe(hung.headers['webhook-id']);
    } finally {
      child.kill('SIGKILL');
      await rx.close();
    }
  });
});
