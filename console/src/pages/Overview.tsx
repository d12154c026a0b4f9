import { lazy, Suspense } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { get, type Directory, type DirectoryToken, type PropagationStats } from '../api';
import { ms, PROVIDER_NAMES, when } from '../format';
import type { RequestSummary } from '../request-log-api';
import { ORG_ADMIN_READ, useSignedIn } from '../session';
import { FailingWebhooks } from './OverviewFigures';
import { StatusCode } from './RequestLog';

const LagChart = lazy(() => import('./LagChart'));

/** The goal every change is measured against: applied within a second of the IdP's request. */
const LAG_GOAL_MS = 1000;

export function Overview() {
  const s = useSignedIn();
  const stats = useQuery({ queryKey: ['propagation', s.orgId], queryFn: () => get<PropagationStats>(`/orgs/${s.orgId}/propagation`), refetchInterval: 10_000 });
  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="propagation-heading">
        <h2 id="propagation-heading">Propagation</h2>
        {stats.isPending && <p role="status">Loading…</p>}
        {stats.error && <p className="error" role="alert">{stats.error.message}</p>}
        {stats.data && <PropagationCards stats={stats.data} />}
        <Suspense fallback={<p className="hint">Loading the lag chart…</p>}>
          <LagChart orgId={s.orgId} />
        </Suspense>
      </section>
      {s.can(ORG_ADMIN_READ) && <DirectoryStates orgId={s.orgId} />}
      {s.can('api.webhook.read') && <FailingWebhooks orgId={s.orgId} />}
    </>
  );
}

function PropagationCards({ stats }: { stats: PropagationStats }) {
  const hour = stats.lagMs.last60Minutes;
  const meetsGoal = hour.p99 === null || hour.p99 <= LAG_GOAL_MS;
  return (
    <dl className="cards">
      <div className="card">
        <dt>Pending changes</dt>
        <dd>{stats.pending}</dd>
        <dd className="sub">oldest {ms(stats.oldestPendingAgeMs)}</dd>
      </div>
      <div className="card">
        <dt>Lag, last 5 minutes</dt>
        <dd>p50 {ms(stats.lagMs.last5Minutes.p50)}</dd>
        <dd className="sub">p99 {ms(stats.lagMs.last5Minutes.p99)} · {stats.lagMs.last5Minutes.applied} applied</dd>
      </div>
      <div className={`card ${meetsGoal ? '' : 'warn'}`}>
        <dt>Lag, last hour</dt>
        <dd>p50 {ms(hour.p50)}</dd>
        <dd className="sub">
          p99 {ms(hour.p99)} · {hour.applied} applied · goal 1 s {meetsGoal ? 'met' : 'missed'}
        </dd>
      </div>
      <div className={`card ${stats.failed.count ? 'warn' : ''}`}>
        <dt>Failed changes</dt>
        <dd>{stats.failed.count}</dd>
      </div>
    </dl>
  );
}

function DirectoryStates({ orgId }: { orgId: string }) {
  const dirs = useQuery({ queryKey: ['directories', orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${orgId}/directories`) });
  const tokens = useQueries({
    queries: (dirs.data?.directories ?? []).map((d) => ({
      queryKey: ['tokens', d.id],
      queryFn: () => get<{ tokens: DirectoryToken[] }>(`/orgs/${orgId}/directories/${d.id}/tokens`),
      // The overview is where an admin watches for the IdP's first request: always read it afresh.
      staleTime: 0,
      refetchInterval: 10_000,
    })),
  });
  // One small read of every directory's request summary; polled, so "first request received" shows within seconds.
  const summaries = useQuery({
    queryKey: ['request-summaries', orgId],
    queryFn: () => get<{ minutes: number; directories: RequestSummary[] }>(`/orgs/${orgId}/request-summaries?minutes=15`),
    refetchInterval: 3000,
  });
  const summaryOf = (id: string) => summaries.data?.directories.find((x) => x.directoryId === id);
  return (
    <section aria-labelledby="directories-heading">
      <h2 id="directories-heading">Directories</h2>
      {dirs.error && <p className="error" role="alert">{dirs.error.message}</p>}
      {dirs.data && dirs.data.directories.length === 0 && <p>No directory yet: create one under Directories and paste its token into the IdP.</p>}
      {dirs.data && dirs.data.directories.length > 0 && (
        <table>
          <caption>Identity-provider connections</caption>
          <thead>
            <tr>
              <th scope="col">Directory</th>
              <th scope="col">Provider</th>
              <th scope="col">Tokens</th>
              <th scope="col">IdP connection</th>
              <th scope="col">Last request</th>
              <th scope="col">Errors, last 15 min</th>
            </tr>
          </thead>
          <tbody>
            {dirs.data.directories.map((d, i) => {
              const list = tokens[i]?.data?.tokens ?? [];
              const live = list.filter((t) => !t.revokedAt);
              const last = list.map((t) => t.lastUsedAt).filter((x): x is string => Boolean(x)).sort().pop() ?? null;
              const sum = summaryOf(d.id);
              const pending = summaries.isPending || tokens[i]?.isPending;
              return (
                <tr key={d.id}>
                  <td>{d.name}</td>
                  <td>{PROVIDER_NAMES[d.provider] ?? d.provider}</td>
                  <td>{tokens[i]?.isPending ? '…' : live.length === 0 ? 'no live token' : `${live.length} live`}</td>
                  <td data-testid={`connection-${d.id}`}>
                    {pending ? '…' : sum || last ? (
                      <span className="live received" title={sum ? `first request ${when(sum.firstAt)}` : undefined}>first request received</span>
                    ) : (
                      <span className="live waiting">waiting for the first request</span>
                    )}
                  </td>
                  <td>
                    {sum ? (
                      <>
                        <Link to={`/requests?directory=${d.id}`}>{when(sum.last.at)}</Link>: {sum.last.method} <code>{sum.last.path}</code> <StatusCode status={sum.last.status} />
                      </>
                    ) : last ? (
                      when(last)
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{sum ? errorRate(sum) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function errorRate(s: RequestSummary): string {
  const r = s.recent;
  if (!r.total) return 'no request';
  return `${Math.round((r.errorRate ?? 0) * 1000) / 10}% (${r.failed} of ${r.total})`;
}
