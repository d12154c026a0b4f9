import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { get } from '../api';
import { DataTable } from '../components/DataTable';
import { when } from '../format';
import { plural, scopeName, useProjectNames, type Binding, type GroupMember, type GroupRow, type Role } from '../rbac-api';
import { useSignedIn } from '../session';
import { Pager } from '../components/Pager';

const MEMBER_PAGE_SIZE = 25;
const column = createColumnHelper<GroupMember>();

/** One group: its facts, its members a page at a time (users and nested groups), and the mappings that name it. */
export function GroupPage() {
  const s = useSignedIn();
  const { directoryId = '', groupId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const base = `/orgs/${s.orgId}/directories/${directoryId}/groups/${groupId}`;
  const group = useQuery({ queryKey: ['group', groupId], queryFn: () => get<GroupRow>(base) });
  const members = useQuery({
    queryKey: ['group-members', groupId, page],
    placeholderData: keepPreviousData,
    queryFn: () => get<{ total: number; startIndex: number; members: GroupMember[] }>(`${base}/members?startIndex=${(page - 1) * MEMBER_PAGE_SIZE + 1}&count=${MEMBER_PAGE_SIZE}`),
  });
  const canReadRoles = s.can('api.role.read');
  const projects = useProjectNames(s.orgId, s.can('api.project_administration.read'));
  const bindings = useQuery({
    queryKey: ['bindings', s.orgId, 'group', groupId],
    enabled: canReadRoles,
    queryFn: () => get<{ bindings: Binding[] }>(`/orgs/${s.orgId}/bindings?principalType=group&principalId=${encodeURIComponent(groupId)}`),
  });
  const roles = useQuery({ queryKey: ['roles', s.orgId], enabled: canReadRoles, queryFn: () => get<{ roles: Role[] }>(`/orgs/${s.orgId}/roles`) });
  const columns = [
    column.accessor('display', {
      header: 'Member',
      cell: (c) => {
        const m = c.row.original;
        return <Link to={m.type === 'user' ? `/users/${directoryId}/${m.id}` : `/groups/${directoryId}/${m.id}`}>{c.getValue()}</Link>;
      },
    }),
    column.accessor('type', { header: 'Kind', cell: (c) => (c.getValue() === 'user' ? 'user' : 'nested group') }),
    column.accessor('active', { header: 'State', cell: (c) => (c.getValue() === null ? '' : c.getValue() ? 'active' : 'deactivated') }),
  ];
  if (group.error) return <p className="error" role="alert">{group.error.message}</p>;
  const g = group.data;
  return (
    <>
      <h1>{g ? `Group ${g.displayName}` : 'Group'}</h1>
      <p>
        <Link to="/groups">All groups</Link>
      </p>
      {g && (
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{g.id}</code>
          </dd>
          <dt>External id</dt>
          <dd>{g.externalId ?? 'none'}</dd>
          <dt>Direct members</dt>
          <dd>{g.memberCount.toLocaleString('en-US')}</dd>
          <dt>Last change</dt>
          <dd>{when(g.lastModifiedAt)}</dd>
        </dl>
      )}
      {canReadRoles && bindings.data && (
        <section aria-labelledby="group-mappings">
          <h2 id="group-mappings">Mappings</h2>
          {bindings.data.bindings.length === 0 ? (
            <p>No mapping names this group: its members hold nothing through it.</p>
          ) : (
            <ul className="plain">
              {bindings.data.bindings.map((b) => (
                <li key={b.id}>
                  role <strong>{roles.data?.roles.find((r) => r.id === b.roleId)?.name ?? b.roleId}</strong> on {scopeName(b.scope, projects).toLowerCase()}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <section aria-labelledby="group-members">
        <h2 id="group-members">Members</h2>
        {members.error && <p className="error" role="alert">{members.error.message}</p>}
        {members.data && (
          <>
            <DataTable caption={plural(members.data.total, 'direct member')} columns={columns} rows={members.data.members} empty="This group has no member." />
            <Pager total={members.data.total} startIndex={members.data.startIndex} size={MEMBER_PAGE_SIZE} page={page} onPage={(n) => setParams({ page: String(n) })} />
          </>
        )}
      </section>
    </>
  );
}
