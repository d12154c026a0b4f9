import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router-dom';
import { get, type Directory } from '../api';
import { DataTable } from '../components/DataTable';
import { ms } from '../format';
import type { RequestPage, RequestRow } from '../request-log-api';
import { useSignedIn } from '../session';
import './request-log.css';

// The SCIM request log of one directory: newest first, filtered on the server, paged by cursor.

const PAGE_SIZE = 50;
const column = createColumnHelper<RequestRow>();

export const time = (iso: string) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
const shortTime = (iso: string) => new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The path as an admin reads it (`filter=userName eq "…"`), not percent-encoded; the raw form if it is not valid encoding. */
export function readablePath(path: string): string {
  try {
    // `+` stays: an email such as a+b@example.com is often sent unencoded.
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function StatusCode({ status }: { status: number }) {
  return <span className={`status s${Math.floor(status / 100)}xx`}>{status}</span>;
}

export function RequestLog() {
  const s = useSignedIn();
  const [params, setParams] = useSearchParams();
  const dirs = useQuery({ queryKey: ['directories', s.orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${s.orgId}/directories`) });
  const directoryId = params.get('directory') ?? dirs.data?.directories[0]?.id ?? null;
  const status = params.get('status') ?? '';
  const resource = params.get('resource') ?? '';
  // The cursors of the pages before this one, so "Newer" can go back without the server keeping state.
  const trail = (params.get('trail') ?? '').split(',').filter(Boolean);
  const before = params.get('before');

  const set = (next: Record<string, string | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) if (v === null || v === '') p.delete(k); else p.set(k, v);
    setParams(p);
  };
  const page = useQuery({
    queryKey: ['requests', directoryId, status, resource, before],
    enabled: directoryId !== null,
    placeholderData: keepPreviousData,
    // The newest page follows the IdP live; older pages do not move.
    refetchInterval: before ? false : 5000,
    queryFn: () => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (status) q.set('status', status);
      if (resource) q.set('resource', resource);
      if (before) q.set('before', before);
      return get<RequestPage>(`/orgs/${s.orgId}/directories/${directoryId}/requests?${q}`);
    },
  });
  const columns = [
    column.accessor('at', { header: 'Time', cell: (c) => <Link to={`/requests/${directoryId}/${encodeURIComponent(c.row.original.requestId)}`}><span className="nowrap">{shortTime(c.getValue())}</span></Link> }),
    column.accessor('method', { header: 'Method' }),
    column.accessor('path', { header: 'Path', cell: (c) => <code>{readablePath(c.getValue())}</code> }),
    column.accessor('status', { header: 'Status', cell: (c) => <StatusCode status={c.getValue()} /> }),
    column.accessor('latencyMs', { header: 'Latency', cell: (c) => <span className="nowrap">{ms(c.getValue())}</span> }),
    column.accessor('reason', { header: 'Why it failed', cell: (c) => c.getValue() ?? '' }),
    column.accessor('userAgent', { header: 'User agent', cell: (c) => <span className="ua">{c.getValue() ?? '—'}</span> }),
  ];
  const rows = page.data?.requests ?? [];
  const filtered = [status && `status ${status}`, resource && resource].filter(Boolean).join(', ');
  return (
    <>
      <h1>SCIM request log</h1>
      <p className="hint">Every request the identity provider sent with this directory’s token. Passwords, tokens and secrets are masked; the Authorization header is never stored.</p>
      <form className="inline" role="search" onSubmit={(e) => e.preventDefault()}>
        {(dirs.data?.directories.length ?? 0) > 1 && (
          <div>
            <label htmlFor="log-directory">Directory</label>
            <select id="log-directory" value={directoryId ?? ''} onChange={(e) => set({ directory: e.target.value, before: null, trail: null })}>
              {dirs.data!.directories.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label htmlFor="log-status">Status</label>
          <select id="log-status" value={status} onChange={(e) => set({ status: e.target.value, before: null, trail: null })}>
            <option value="">All</option>
            <option value="2xx">2xx succeeded</option>
            <option value="4xx">4xx refused</option>
            <option value="5xx">5xx failed here</option>
          </select>
        </div>
        <div>
          <label htmlFor="log-resource">Resource</label>
          <select id="log-resource" value={resource} onChange={(e) => set({ resource: e.target.value, before: null, trail: null })}>
            <option value="">All</option>
            <option value="Users">Users</option>
            <option value="Groups">Groups</option>
            <option value="Bulk">Bulk</option>
            <option value=".search">.search</option>
            <option value="Schemas">Schemas</option>
            <option value="ResourceTypes">ResourceTypes</option>
            <option value="ServiceProviderConfig">ServiceProviderConfig</option>
          </select>
        </div>
      </form>
      {dirs.data?.directories.length === 0 && <p>No directory yet.</p>}
      {page.error && <p className="error" role="alert">{page.error.message}</p>}
      {page.data && (
        <>
          <DataTable
            // While another filter or page loads, the rows shown are the previous answer's: say so.
            caption={page.isPlaceholderData ? 'Loading…' : `${before ? 'Older requests' : 'Newest requests'}${filtered ? ` (${filtered})` : ''}`}
            columns={columns}
            rows={rows}
            empty={filtered ? 'No request matches these filters.' : 'No request yet: the log fills as soon as the identity provider sends its first request.'}
          />
          <nav className="pager" aria-label="Pages">
            <button type="button" className="secondary" disabled={!before} onClick={() => set({ before: trail[trail.length - 1] ?? null, trail: trail.slice(0, -1).join(',') })}>
              Newer
            </button>
            <button
              type="button"
              className="secondary"
              disabled={page.data.nextCursor === null}
              onClick={() => set({ before: String(page.data!.nextCursor), trail: [...trail, ...(before ? [before] : [])].join(',') })}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </>
  );
}
