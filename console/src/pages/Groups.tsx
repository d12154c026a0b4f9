import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router-dom';
import { get, type Directory } from '../api';
import { DataTable } from '../components/DataTable';
import { when } from '../format';
import { plural, type GroupList, type GroupRow } from '../rbac-api';
import { useSignedIn } from '../session';
import { Pager } from '../components/Pager';

export const GROUP_PAGE_SIZE = 20;
const column = createColumnHelper<GroupRow>();

/** A directory's groups, searched and paged on the server, with how many direct members each has. */
export function Groups() {
  const s = useSignedIn();
  const [params, setParams] = useSearchParams();
  const dirs = useQuery({ queryKey: ['directories', s.orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${s.orgId}/directories`) });
  const directoryId = params.get('directory') ?? dirs.data?.directories[0]?.id ?? null;
  const search = params.get('search') ?? '';
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const set = (next: Record<string, string | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) if (v === null || v === '') p.delete(k); else p.set(k, v);
    setParams(p);
  };
  const groups = useQuery({
    queryKey: ['groups', directoryId, search, page],
    enabled: directoryId !== null,
    placeholderData: keepPreviousData,
    queryFn: () => {
      const q = new URLSearchParams({ startIndex: String((page - 1) * GROUP_PAGE_SIZE + 1), count: String(GROUP_PAGE_SIZE) });
      if (search) q.set('search', search);
      return get<GroupList>(`/orgs/${s.orgId}/directories/${directoryId}/groups?${q}`);
    },
  });
  const columns = [
    column.accessor('displayName', { header: 'Group', cell: (c) => <Link to={`/groups/${directoryId}/${c.row.original.id}`}>{c.getValue()}</Link> }),
    column.accessor('memberCount', { header: 'Members', cell: (c) => c.getValue().toLocaleString('en-US') }),
    column.accessor('externalId', { header: 'External id', cell: (c) => c.getValue() ?? '' }),
    column.accessor('lastModifiedAt', { header: 'Last change', cell: (c) => when(c.getValue()) }),
  ];
  const total = groups.data?.total ?? 0;
  return (
    <>
      <h1>Groups</h1>
      <form
        className="inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ search: typed.trim(), page: null });
        }}
      >
        {(dirs.data?.directories.length ?? 0) > 1 && (
          <div>
            <label htmlFor="groups-directory">Directory</label>
            <select id="groups-directory" value={directoryId ?? ''} onChange={(e) => set({ directory: e.target.value, page: null })}>
              {dirs.data!.directories.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label htmlFor="groups-search">Search group name or external id</label>
          <input id="groups-search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      {dirs.data?.directories.length === 0 && <p>No directory yet.</p>}
      {groups.error && <p className="error" role="alert">{groups.error.message}</p>}
      {groups.data && (
        <>
          <DataTable caption={`${plural(total, 'group')}${search ? ` matching “${search}”` : ''}`} columns={columns} rows={groups.data.groups} empty="No group matches." />
          <Pager total={total} startIndex={groups.data.startIndex} size={GROUP_PAGE_SIZE} page={page} onPage={(n) => set({ page: String(n) })} />
        </>
      )}
    </>
  );
}
