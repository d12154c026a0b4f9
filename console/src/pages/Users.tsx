import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router-dom';
import { get, type Directory, type UserPage, type UserRow } from '../api';
import { DataTable } from '../components/DataTable';
import { when } from '../format';
import { useSignedIn } from '../session';

export const PAGE_SIZE = 20;
const column = createColumnHelper<UserRow>();

export function Users() {
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
  const users = useQuery({
    queryKey: ['users', directoryId, search, page],
    enabled: directoryId !== null,
    placeholderData: keepPreviousData,
    queryFn: () => {
      const q = new URLSearchParams({ startIndex: String((page - 1) * PAGE_SIZE + 1), count: String(PAGE_SIZE) });
      if (search) q.set('search', search);
      return get<UserPage>(`/orgs/${s.orgId}/directories/${directoryId}/users?${q}`);
    },
  });
  const columns = [
    column.accessor('userName', {
      header: 'User name',
      cell: (c) => <Link to={`/users/${directoryId}/${c.row.original.id}`}>{c.getValue()}</Link>,
    }),
    column.accessor('displayName', { header: 'Name', cell: (c) => c.getValue() ?? '' }),
    column.accessor('email', { header: 'Email', cell: (c) => c.getValue() ?? '' }),
    column.accessor('active', { header: 'State', cell: (c) => (c.getValue() ? 'active' : 'deactivated') }),
    column.accessor('lastModifiedAt', { header: 'Last change', cell: (c) => when(c.getValue()) }),
  ];
  const total = users.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // The page shown is the one the server answered (the previous page stays up while the next loads).
  const shownPage = users.data ? Math.floor((users.data.startIndex - 1) / PAGE_SIZE) + 1 : page;
  return (
    <>
      <h1>Users</h1>
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
            <label htmlFor="users-directory">Directory</label>
            <select id="users-directory" value={directoryId ?? ''} onChange={(e) => set({ directory: e.target.value, page: null })}>
              {dirs.data!.directories.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label htmlFor="users-search">Search user name, name or external id</label>
          <input id="users-search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      {dirs.data?.directories.length === 0 && <p>No directory yet.</p>}
      {users.error && <p className="error" role="alert">{users.error.message}</p>}
      {users.data && (
        <>
          <DataTable caption={`${total} user${total === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}`} columns={columns} rows={users.data.users} empty="No user matches." />
          <nav className="pager" aria-label="Pages">
            <button type="button" className="secondary" disabled={page <= 1} onClick={() => set({ page: String(page - 1) })}>
              Previous
            </button>
            <span aria-live="polite">
              Page {shownPage} of {pages}
            </span>
            <button type="button" className="secondary" disabled={page >= pages} onClick={() => set({ page: String(page + 1) })}>
              Next
            </button>
          </nav>
        </>
      )}
    </>
  );
}
