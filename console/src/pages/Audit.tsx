import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { when } from '../format';
import { useSignedIn } from '../session';
import '../screens.css';

interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string; name?: string };
  action: string;
  target: { type: string; id: string; display?: string };
  summary?: Record<string, unknown>;
  requestId: string | null;
  changeId: string | null;
}

interface Filters {
  action: string;
  actorType: string;
  targetType: string;
  targetId: string;
  since: string;
  until: string;
}

const ACTORS: Record<string, string> = { adminKey: 'admin key', directoryToken: 'directory token', system: 'the service' };
const NONE: Filters = { action: '', actorType: '', targetType: '', targetId: '', since: '', until: '' };
const PAGE = 50;
/** An export reads pages of 500 up to this many events: enough for any audit question, bounded for the tab. */
const EXPORT_MAX = 50_000;

function queryOf(f: Filters, limit: number, cursor?: string): string {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const k of ['action', 'actorType', 'targetType', 'targetId'] as const) if (f[k].trim()) q.set(k, f[k].trim());
  // datetime-local inputs are local times: sent as instants.
  if (f.since) q.set('since', new Date(f.since).toISOString());
  if (f.until) q.set('until', new Date(f.until).toISOString());
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const CSV_COLUMNS = ['at', 'action', 'actorType', 'actorId', 'actorName', 'targetType', 'targetId', 'targetDisplay', 'requestId', 'changeId', 'summary'];
const csvRow = (e: AuditEvent) =>
  [e.at, e.action, e.actor.type, e.actor.id, e.actor.name, e.target.type, e.target.id, e.target.display, e.requestId, e.changeId, e.summary ?? null].map(csvCell).join(',');

/** The audit log, newest first, filtered on the server; exported as CSV or NDJSON with the same filters. */
export function Audit() {
  const s = useSignedIn();
  const [typed, setTyped] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [cursors, setCursors] = useState<string[]>([]);
  const [exporting, setExporting] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ['audit', s.orgId, filters, cursor],
    placeholderData: keepPreviousData,
    queryFn: () => get<{ events: AuditEvent[]; nextCursor: string | null }>(`/orgs/${s.orgId}/audit?${queryOf(filters, PAGE, cursor)}`),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursors([]);
    setFilters(typed);
  };
  const field = (k: keyof Filters) => ({ id: `audit-${k}`, value: typed[k], onChange: (e: { target: { value: string } }) => setTyped({ ...typed, [k]: e.target.value }) });

  async function exportAs(format: 'csv' | 'ndjson') {
    setExporting(`Exporting…`);
    try {
      const lines: string[] = format === 'csv' ? [CSV_COLUMNS.join(',')] : [];
      let next: string | undefined;
      let n = 0;
      do {
        const r = await get<{ events: AuditEvent[]; nextCursor: string | null }>(`/orgs/${s.orgId}/audit?${queryOf(filters, 500, next)}`);
        for (const e of r.events) lines.push(format === 'csv' ? csvRow(e) : JSON.stringify(e));
        n += r.events.length;
        next = r.nextCursor ?? undefined;
      } while (next && n < EXPORT_MAX);
      const blob = new Blob([lines.join('\n') + '\n'], { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `audit-${s.orgSlug}-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setExporting(`Exported ${n.toLocaleString('en-US')} event${n === 1 ? '' : 's'} as ${format.toUpperCase()}${next ? ` (the first ${EXPORT_MAX.toLocaleString('en-US')}; narrow the filters for the rest)` : ''}.`);
    } catch (err) {
      setExporting(`The export failed: ${(err as Error).message}`);
    }
  }

  const events = page.data?.events ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <form className="inline" onSubmit={submit} aria-label="Filter the audit log">
        <div>
          <label htmlFor="audit-action">Action</label>
          <input {...field('action')} placeholder="binding.created" />
        </div>
        <div>
          <label htmlFor="audit-actorType">Actor</label>
          <select {...field('actorType')}>
            <option value="">anyone</option>
            <option value="adminKey">admin key</option>
            <option value="directoryToken">directory token (the IdP)</option>
            <option value="system">the service</option>
          </select>
        </div>
        <div>
          <label htmlFor="audit-targetType">Target type</label>
          <input {...field('targetType')} placeholder="binding" />
        </div>
        <div>
          <label htmlFor="audit-targetId">Target id</label>
          <input {...field('targetId')} />
        </div>
        <div>
          <label htmlFor="audit-since">Since</label>
          <input type="datetime-local" {...field('since')} />
        </div>
        <div>
          <label htmlFor="audit-until">Until</label>
          <input type="datetime-local" {...field('until')} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <div className="toolbar">
        <button type="button" className="secondary" onClick={() => void exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" className="secondary" onClick={() => void exportAs('ndjson')}>
          Export NDJSON
        </button>
        {exporting && <span role="status">{exporting}</span>}
      </div>
      {page.error && <p className="error" role="alert">{page.error.message}</p>}
      {page.data && (
        <>
          <table>
            <caption>
              {events.length === 0 ? 'No audit event matches' : `Audit events ${cursors.length * PAGE + 1} to ${cursors.length * PAGE + events.length}`}, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td className="nowrap">
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {ACTORS[e.actor.type] ?? e.actor.type} {e.actor.name ?? <code>{e.actor.id}</code>}
                  </td>
                  <td>
                    {e.target.type} {e.target.display ?? <code>{e.target.id}</code>}
                  </td>
                  <td>
                    <code>{e.summary ? JSON.stringify(e.summary).slice(0, 160) : ''}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <button type="button" className="secondary" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </button>
            <button type="button" className="secondary" disabled={!page.data.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor!])}>
              Older
            </button>
          </nav>
        </>
      )}
    </>
  );
}
