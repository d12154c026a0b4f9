import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { post, get, type LagWindow, type PropagationStats } from '../api';
import { ms, when } from '../format';
import { plural } from '../rbac-api';
import { ORG_ADMIN_WRITE, useSignedIn } from '../session';
import '../screens.css';

interface ChangeRow {
  id: string;
  kind: string;
  status: string;
  acceptedAt: string;
  appliedAt: string | null;
  lagMs: number | null;
  attempts: number;
  error: string | null;
  userCount?: number;
}

/** The propagation of changes: what is pending, how long changes took (lag), and what failed, with a retry. */
export function Changes() {
  const s = useSignedIn();
  const canRetry = s.can(ORG_ADMIN_WRITE);
  const queries = useQueryClient();
  const stats = useQuery({
    queryKey: ['propagation', s.orgId],
    queryFn: () => get<Omit<PropagationStats, 'failed'> & { failed: { count: number; latest: ChangeRow[] } }>(`/orgs/${s.orgId}/propagation`),
    refetchInterval: 5000,
  });
  const retry = useMutation({
    mutationFn: (id: string) => post<ChangeRow>(`/changes/${id}/retry`),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['propagation', s.orgId] }),
  });
  const d = stats.data;
  const windows: Array<[string, LagWindow]> = d ? [['last 5 minutes', d.lagMs.last5Minutes], ['last 60 minutes', d.lagMs.last60Minutes]] : [];
  return (
    <>
      <h1>Changes</h1>
      {stats.error && <p className="error" role="alert">{stats.error.message}</p>}
      {d && (
        <>
          <dl className="cards">
            <div className={`card${d.pending > 0 ? ' warn' : ''}`}>
              <dt>Pending changes</dt>
              <dd>{d.pending.toLocaleString('en-US')}</dd>
              <dd className="sub">{d.oldestPendingAgeMs === null ? 'nothing waiting' : `oldest waiting ${ms(d.oldestPendingAgeMs)}`}</dd>
            </div>
            <div className={`card${d.failed.count > 0 ? ' warn' : ''}`}>
              <dt>Failed changes</dt>
              <dd>{d.failed.count.toLocaleString('en-US')}</dd>
            </div>
          </dl>
          <table>
            <caption>Lag from the IdP's request to access checks answering the new way (goal: under 1 s)</caption>
            <thead>
              <tr>
                <th scope="col">Window</th>
                <th scope="col">Applied</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
                <th scope="col">p99</th>
              </tr>
            </thead>
            <tbody>
              {windows.map(([name, w]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{w.applied.toLocaleString('en-US')}</td>
                  <td>{ms(w.p50)}</td>
                  <td>{ms(w.p95)}</td>
                  <td className={w.p99 !== null && w.p99 > 1000 ? 'state-failed' : ''}>{ms(w.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>{plural(d.failed.count, 'failed change')}{d.failed.count > d.failed.latest.length ? `, the latest ${d.failed.latest.length}` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">Kind</th>
                <th scope="col">Accepted</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
                {canRetry && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {d.failed.latest.length === 0 ? (
                <tr>
                  <td colSpan={canRetry ? 6 : 5} className="empty">
                    No change failed.
                  </td>
                </tr>
              ) : (
                d.failed.latest.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <code>{c.id}</code>
                    </td>
                    <td>{c.kind}</td>
                    <td>{when(c.acceptedAt)}</td>
                    <td>{c.attempts}</td>
                    <td className="state-failed">{c.error ?? 'no error recorded'}</td>
                    {canRetry && (
                      <td>
                        <button type="button" className="small" disabled={retry.isPending} onClick={() => retry.mutate(c.id)} aria-label={`Retry change ${c.id}`}>
                          Retry
                        </button>
                      </td>
                    )}
                  </tr>
                ))
              )}
            </tbody>
          </table>
          {retry.error && <p className="error" role="alert">{retry.error.message}</p>}
          {retry.data && <p className="ok" role="status">Change {retry.data.id} is queued again.</p>}
        </>
      )}
    </>
  );
}
