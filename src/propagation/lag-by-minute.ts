import type { Model } from 'mongoose';
import type { ChangeDoc } from './change.model';

// Propagation lag per minute (p50/p99 of the changes applied in it), for the overview's chart against the 1 s goal.

const MINUTE_MS = 60_000;
/**
 * At most this many applied changes are read for one chart. The read is the one `tracking.stats` makes for
 * its hour figure (orgId and status pushed down on FerretDB, the time range checked there, MongoDB walks
 * the `(orgId, status)` index); past the bound, the newest minutes are charted from what was read.
 */
const MAX_CHANGES = 50_000;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface LagMinute {
  /** The minute's start. */
  at: string;
  applied: number;
  p50: number | null;
  p99: number | null;
}

export function createLagByMinute(deps: { changes: Model<ChangeDoc> }) {
  /** One row per minute of the last `minutes`, oldest first; a minute without applied changes has null percentiles. */
  async function lastMinutes(orgId: string, minutes: number, now = Date.now()): Promise<{ minutes: LagMinute[]; isPartial: boolean }> {
    const firstMinute = Math.floor(now / MINUTE_MS) - minutes + 1;
    const rows = await deps.changes
      .find({ orgId, status: 'applied', appliedAt: { $gte: new Date(firstMinute * MINUTE_MS) } }, { appliedAt: 1, lagMs: 1, _id: 0 })
      .limit(MAX_CHANGES)
      .lean<Array<{ appliedAt: Date; lagMs: number | null }>>();
    const byMinute = new Map<number, number[]>();
    for (const r of rows) {
      const m = Math.floor(new Date(r.appliedAt).getTime() / MINUTE_MS);
      byMinute.set(m, [...(byMinute.get(m) ?? []), r.lagMs ?? 0]);
    }
    const out: LagMinute[] = [];
    for (let m = firstMinute; m < firstMinute + minutes; m++) {
      const lags = (byMinute.get(m) ?? []).sort((a, b) => a - b);
      out.push({ at: new Date(m * MINUTE_MS).toISOString(), applied: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99) });
    }
    return { minutes: out, isPartial: rows.length >= MAX_CHANGES };
  }
  return { lastMinutes };
}
