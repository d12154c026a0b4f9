import type { Model } from 'mongoose';
import { NotFound } from '../shared/errors';
import type { ChangeDoc } from './change.model';

const WAIT_POLL_MS = 50;

export type ChangeTracking = ReturnType<typeof createChangeTracking>;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Answers "has my change been applied, and how fast is propagation?" from the change records. */
export function createChangeTracking(deps: { changes: Model<ChangeDoc> }) {
  const { changes } = deps;

  async function get(orgId: string, id: string): Promise<ChangeDoc> {
    const c = await changes.findOne({ _id: id }).lean<ChangeDoc>();
    if (!c || c.orgId !== orgId) throw new NotFound(`change ${id}`);
    return c;
  }

  /** Long-poll: returns as soon as the change is applied or failed, or when the timeout passes. */
  async function waitFor(orgId: string, id: string, timeoutMs: number): Promise<ChangeDoc> {
    const deadline = Date.now() + timeoutMs;
    let c = await get(orgId, id);
    while (c.status === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now()))));
      c = await get(orgId, id);
    }
    return c;
  }

  async function lagWindow(orgId: string, minutes: number, now: number) {
    const rows = await changes
      .find({ orgId, status: 'applied', appliedAt: { $gte: new Date(now - minutes * 60_000) } }, { lagMs: 1 })
      .limit(200_000)
      .lean<Array<{ lagMs: number }>>();
    const lags = rows.map((r) => r.lagMs ?? 0).sort((a, b) => a - b);
    return { applied: lags.length, p50: percentile(lags, 50), p95: percentile(lags, 95), p99: percentile(lags, 99) };
  }

  async function stats(orgId: string, now = Date.now()) {
    const pending = await changes.countDocuments({ orgId, status: 'pending' });
    const oldest = pending
      ? await changes.findOne({ orgId, status: 'pending' }, { acceptedAt: 1 }).sort({ acceptedAt: 1 }).lean<{ acceptedAt: Date }>()
      : null;
    const failed = await changes
      .find({ orgId, status: 'failed' }, { kind: 1, error: 1, acceptedAt: 1, attempts: 1 })
      .sort({ acceptedAt: -1 })
      .limit(20)
      .lean<ChangeDoc[]>();
    return {
      pending,
      oldestPendingAgeMs: oldest ? now - new Date(oldest.acceptedAt).getTime() : null,
      lagMs: { last5Minutes: await lagWindow(orgId, 5, now), last60Minutes: await lagWindow(orgId, 60, now) },
      failed: { count: await changes.countDocuments({ orgId, status: 'failed' }), latest: failed },
    };
  }

  /** Deprovisioned users with the time from the IdP's request to full revocation (keys and access). */
  async function deprovisioningReport(orgId: string, limit: number) {
    const rows = await changes
      .find({ orgId, kind: { $in: ['user.deactivated', 'user.deleted'] } })
      .sort({ acceptedAt: -1 })
      .limit(limit)
      .lean<ChangeDoc[]>();
    return rows.map((c) => ({
      userIds: c.userIds,
      kind: c.kind,
      changeId: c._id,
      acceptedAt: c.acceptedAt,
      // Checks deny from the moment the request was accepted; keys and group-derived access go when applied.
      deniedAfterMs: 0,
      fullyRevokedAt: c.appliedAt,
      timeToFullRevocationMs: c.lagMs,
      status: c.status,
    }));
  }

  /** A failed change goes back to pending; the caller queues it again. */
  async function redrive(orgId: string, id: string): Promise<ChangeDoc> {
    await get(orgId, id);
    await changes.updateOne({ _id: id, status: 'failed' }, { $set: { status: 'pending', error: null } });
    return get(orgId, id);
  }

  return { get, waitFor, stats, deprovisioningReport, redrive };
}
