import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { ms, when } from '../format';
import { plural } from '../rbac-api';
import { useSignedIn } from '../session';

interface DeprovisioningRow {
  userIds: string[];
  kind: 'user.deactivated' | 'user.deleted';
  changeId: string;
  acceptedAt: string;
  deniedAfterMs: number;
  fullyRevokedAt: string | null;
  timeToFullRevocationMs: number | null;
  status: string;
}

/** Who was deprovisioned, when, and how long until every grant (keys and group-derived access too) was gone. */
export function Deprovisioning() {
  const s = useSignedIn();
  const report = useQuery({ queryKey: ['deprovisioning', s.orgId], queryFn: () => get<{ users: DeprovisioningRow[] }>(`/orgs/${s.orgId}/deprovisioning?limit=200`) });
  const rows = report.data?.users ?? [];
  return (
    <>
      <h1>Deprovisioning report</h1>
      <p className="hint">Access checks deny a deactivated or deleted user from the moment the IdP's request is accepted; API keys and group-derived access are gone once the change is applied.</p>
      {report.error && <p className="error" role="alert">{report.error.message}</p>}
      {report.data && (
        <table>
          <caption>{plural(rows.length, 'deprovisioning', 'deprovisionings')}, latest first</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Users</th>
              <th scope="col">Accepted</th>
              <th scope="col">Checks denied after</th>
              <th scope="col">Fully revoked</th>
              <th scope="col">Time to full revocation</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={6} className="empty">
                  Nobody was deprovisioned yet.
                </td>
              </tr>
            ) : (
              rows.map((r) => (
                <tr key={r.changeId}>
                  <td>{r.kind === 'user.deleted' ? 'deleted' : 'deactivated'}</td>
                  <td>
                    {r.userIds.slice(0, 3).map((id) => (
                      <code key={id}>{id} </code>
                    ))}
                    {r.userIds.length > 3 ? ` and ${r.userIds.length - 3} more` : ''}
                  </td>
                  <td>{when(r.acceptedAt)}</td>
                  <td>{ms(r.deniedAfterMs)}</td>
                  <td className={r.status === 'failed' ? 'state-failed' : ''}>{r.fullyRevokedAt ? when(r.fullyRevokedAt) : r.status}</td>
                  <td>{ms(r.timeToFullRevocationMs)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      )}
    </>
  );
}
