import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get } from '../api';
import { ms } from '../format';
import type { LagMinute } from '../request-log-api';
import './request-log.css';

// Propagation lag per minute over the last hour against the 1 s goal. Its own module (and chunk): the chart
// library is loaded after the overview's figures are on screen.

const LAG_GOAL_MS = 1000;
const clock = (iso: string) => new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

export default function LagChart({ orgId }: { orgId: string }) {
  const lag = useQuery({
    queryKey: ['propagation-lag', orgId],
    queryFn: () => get<{ goalMs: number; minutes: LagMinute[]; isPartial: boolean }>(`/orgs/${orgId}/propagation/lag?minutes=60`),
    refetchInterval: 15_000,
  });
  const rows = lag.data?.minutes ?? [];
  const measured = rows.filter((r) => r.applied > 0);
  const overGoal = measured.filter((r) => (r.p99 ?? 0) > LAG_GOAL_MS).length;
  return (
    <figure className="chart" aria-labelledby="lag-chart-heading">
      <h3 id="lag-chart-heading">Propagation lag per minute, last hour (goal: applied within 1 s)</h3>
      {lag.error && <p className="error" role="alert">{lag.error.message}</p>}
      {lag.data && measured.length === 0 && <p className="hint">No change was applied in the last hour.</p>}
      {lag.data && measured.length > 0 && (
        <>
          <div aria-hidden="true">
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 8 }} accessibilityLayer={false}>
                <CartesianGrid stroke="#d8d8d8" strokeDasharray="3 3" />
                <XAxis dataKey="at" tickFormatter={clock} minTickGap={40} stroke="#4a4a4a" />
                <YAxis tickFormatter={(v: number) => ms(v)} width={64} stroke="#4a4a4a" />
                <Tooltip labelFormatter={(v) => clock(String(v))} formatter={(v) => ms(Number(v))} />
                <Legend />
                <ReferenceLine y={LAG_GOAL_MS} stroke="#a11a1a" strokeDasharray="6 3" label={{ value: 'goal 1 s', position: 'insideTopRight', fill: '#a11a1a' }} />
                {/* Straight segments and dots: a minute without applied changes is a gap, not an interpolated value. */}
                <Line type="linear" dataKey="p50" name="p50" stroke="#0b4f9c" dot={{ r: 3 }} isAnimationActive={false} />
                <Line type="linear" dataKey="p99" name="p99" stroke="#8a4b00" dot={{ r: 3 }} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
          <figcaption>
            {measured.length} minute{measured.length === 1 ? '' : 's'} with applied changes; p99 over the 1 s goal in {overGoal} of them
            {lag.data.isPartial ? ' (the busiest minutes are sampled)' : ''}.
          </figcaption>
        </>
      )}
    </figure>
  );
}

