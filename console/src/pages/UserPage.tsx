import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { get, type EffectiveAccess, type GrantRef, type PermissionGrants, type Project, type UserDetail } from '../api';
import { when } from '../format';
import { useSignedIn } from '../session';
import { GrantPath } from './AccessRows';

export function UserPage() {
  const s = useSignedIn();
  const { directoryId, userId } = useParams();
  const user = useQuery({ queryKey: ['user', directoryId, userId], queryFn: () => get<UserDetail>(`/orgs/${s.orgId}/directories/${directoryId}/users/${userId}`) });
  const access = useQuery({ queryKey: ['access', userId], queryFn: () => get<EffectiveAccess>(`/orgs/${s.orgId}/users/${userId}/permissions`) });
  const projects = useQuery({
    queryKey: ['projects', s.orgId],
    enabled: s.can('api.project_administration.read'),
    queryFn: () => get<{ projects: Project[] }>(`/orgs/${s.orgId}/projects`),
  });
  const projectName = (id: string) => projects.data?.projects.find((p) => p.id === id)?.name ?? id;

  if (user.error) return <p className="error" role="alert">{user.error.message}</p>;
  if (!user.data) return <p role="status">Loading…</p>;
  const u = user.data;
  return (
    <>
      <p>
        <Link to={`/users?directory=${directoryId}`}>← Users</Link>
      </p>
      <h1>{u.displayName ?? u.userName}</h1>
      <dl className="facts">
        <dt>User name</dt>
        <dd>{u.userName}</dd>
        <dt>State</dt>
        <dd>{u.active ? 'active' : 'deactivated'}</dd>
        <dt>External id</dt>
        <dd>{u.externalId ?? '—'}</dd>
        <dt>Last change</dt>
        <dd>{when(u.lastModifiedAt)}</dd>
        <dt>Groups</dt>
        <dd>{u.groups.length ? u.groups.map((g) => g.displayName).join(', ') : 'none'}</dd>
      </dl>

      <section aria-labelledby="access-heading">
        <h2 id="access-heading">Effective access</h2>
        {access.error && <p className="error" role="alert">{access.error.message}</p>}
        {access.data && !access.data.isActive && <p>This user is deactivated and holds no permission.</p>}
        {access.data && access.data.isActive && <GrantSummary rows={rowsOf(access.data)} projectName={projectName} />}
        {access.data && access.data.isActive && (
          <table>
            <caption>Permissions and how each is granted{access.data.stateVersion !== null ? ` (access version ${access.data.stateVersion})` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Permission</th>
                <th scope="col">Where</th>
                <th scope="col">Granted by</th>
              </tr>
            </thead>
            <tbody>
              {rowsOf(access.data).length === 0 && (
                <tr>
                  <td colSpan={3} className="empty">
                    No permission: no binding reaches this user or its groups.
                  </td>
                </tr>
              )}
              {rowsOf(access.data).map(({ where, p }) => (
                <tr key={`${where ?? 'org'}-${p.permission}`}>
                  <td>
                    <code>{p.permission}</code>
                  </td>
                  <td>{where ? `project ${projectName(where)}` : 'organization'}</td>
                  <td>
                    <ul className="plain">
                      {p.grants.map((g) => (
                        <li key={g.bindingId + (g.policyId ?? '')}>
                          <GrantPath grant={g} projectName={g.projectId ? projectName(g.projectId) : undefined} />
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="attributes-heading">
        <h2 id="attributes-heading">Attributes as the IdP sent them</h2>
        <pre className="json" tabIndex={0} aria-label="SCIM attributes">
          {JSON.stringify(u.attributes, null, 2)}
        </pre>
      </section>
    </>
  );
}

/** Each distinct grant path once, with how many permissions it carries: the short answer to "why". */
function GrantSummary({ rows, projectName }: { rows: Array<{ p: PermissionGrants }>; projectName: (id: string) => string }) {
  const paths = new Map<string, { grant: GrantRef; count: number }>();
  for (const { p } of rows) for (const g of p.grants) {
    const key = `${g.bindingId}|${g.policyId ?? ''}`;
    paths.set(key, { grant: g, count: (paths.get(key)?.count ?? 0) + 1 });
  }
  if (paths.size === 0) return null;
  return (
    <ul className="paths" aria-label="Grant paths">
      {[...paths.entries()].map(([key, { grant, count }]) => (
        <li key={key}>
          <GrantPath grant={grant} projectName={grant.projectId ? projectName(grant.projectId) : undefined} />: {count} permission{count === 1 ? '' : 's'}
        </li>
      ))}
    </ul>
  );
}

function rowsOf(a: EffectiveAccess): Array<{ where: string | null; p: PermissionGrants }> {
  return [...a.organization.map((p) => ({ where: null, p })), ...a.projects.flatMap((pr) => pr.permissions.map((p) => ({ where: pr.projectId, p })))];
}
