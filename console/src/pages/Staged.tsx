import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { Link, useSearchParams } from 'react-router-dom';
import { api, get, post, ApiProblem, type Directory } from '../api';
import { DataTable } from '../components/DataTable';
import { when } from '../format';
import { ORG_ADMIN_WRITE, useSignedIn } from '../session';
import type { GuardSettings, StagedList, StagedUser, StagingOutcome } from '../staged-api';
import './staged.css';

const column = createColumnHelper<StagedUser>();
const KIND_WORDS: Record<StagedUser['kind'], string> = { 'user.deactivated': 'deactivated', 'user.deleted': 'deleted' };

/**
 * The users whose deprovisioning the IdP sent in a burst above the threshold: the directory already
 * shows them deactivated or gone, but they keep their access until an admin approves or discards.
 */
export function Staged() {
  const s = useSignedIn();
  const canWrite = s.can(ORG_ADMIN_WRITE);
  const queries = useQueryClient();
  const [params, setParams] = useSearchParams();
  const dirs = useQuery({ queryKey: ['directories', s.orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${s.orgId}/directories`) });
  const directoryId = params.get('directory') ?? dirs.data?.directories[0]?.id ?? null;
  const base = `/orgs/${s.orgId}/directories/${directoryId}`;
  const staged = useQuery({ queryKey: ['staged', directoryId], enabled: directoryId !== null, queryFn: () => get<StagedList>(`${base}/staged`) });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<null | { action: 'approve' | 'discard'; userIds: string[] | null }>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  useEffect(() => {
    setSelected(new Set());
    setPending(null);
  }, [directoryId]);

  const decide = useMutation({
    mutationFn: (p: { action: 'approve' | 'discard'; userIds: string[] | null }) =>
      post<StagingOutcome>(`${base}/staged/${p.action}`, p.userIds ? { userIds: p.userIds } : {}),
    onSuccess: (out, p) => {
      const done = (p.action === 'approve' ? out.approved : out.discarded) ?? [];
      const words = p.action === 'approve' ? 'approved: access revoked' : 'discarded: users active again with their access';
      const extra = [
        out.moot.length ? `${out.moot.length} already changed by the IdP` : '',
        out.notRestored.length ? `${out.notRestored.length} not restored (the IdP created a user with the same userName since)` : '',
      ].filter(Boolean);
      setOutcome(`${done.length} ${words}${extra.length ? `; ${extra.join('; ')}` : ''}.`);
      setPending(null);
      setSelected(new Set());
      void queries.invalidateQueries({ queryKey: ['staged', directoryId] });
      void queries.invalidateQueries({ queryKey: ['staged-counts', s.orgId] });
    },
  });

  const users = staged.data?.users ?? [];
  const toggle = (id: string) => setSelected((prev) => {
    const next = new Set(prev);
    if (next.has(id)) next.delete(id); else next.add(id);
    return next;
  });
  const columns = [
    ...(canWrite
      ? [
          column.display({
            id: 'select',
            header: 'Select',
            cell: (c) => (
              <input
                type="checkbox"
                aria-label={`Select ${c.row.original.userName}`}
                checked={selected.has(c.row.original.userId)}
                onChange={() => toggle(c.row.original.userId)}
              />
            ),
          }),
        ]
      : []),
    column.accessor('userName', {
      header: 'User name',
      // A deactivated user is still in the directory; a deleted one has no page until it is restored.
      cell: (c) => (c.row.original.kind === 'user.deactivated' ? <Link to={`/users/${directoryId}/${c.row.original.userId}`}>{c.getValue()}</Link> : c.getValue()),
    }),
    column.accessor('kind', { header: 'The IdP sent', cell: (c) => KIND_WORDS[c.getValue()] }),
    column.accessor('heldAt', { header: 'Held since', cell: (c) => when(c.getValue()) }),
    column.accessor('requestId', { header: 'SCIM request', cell: (c) => (c.getValue() ? <code>{c.getValue()}</code> : '') }),
  ];
  const ask = (action: 'approve' | 'discard', userIds: string[] | null) => {
    setOutcome(null);
    setPending({ action, userIds });
  };
  const count = (p: { userIds: string[] | null }) => p.userIds?.length ?? users.length;

  return (
    <>
      <h1>Staged deprovisioning</h1>
      <p className="hint">
        When the IdP deactivates or deletes more users in a short time than the directory's threshold allows, the rest of the burst is accepted
        (the IdP sees success) but held here: these people keep their access and API keys until you approve (access is revoked at once) or
        discard (they are active again; the IdP's next sync tells again if it meant it).
      </p>
      {(dirs.data?.directories.length ?? 0) > 1 && (
        <form className="inline" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label htmlFor="staged-directory">Directory</label>
            <select id="staged-directory" value={directoryId ?? ''} onChange={(e) => setParams({ directory: e.target.value })}>
              {dirs.data!.directories.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </div>
        </form>
      )}
      {dirs.data?.directories.length === 0 && <p>No directory yet.</p>}
      {staged.error && <p className="error" role="alert">{staged.error.message}</p>}
      {outcome && <p role="status">{outcome}</p>}
      {staged.data && (
        <>
          {canWrite && users.length > 0 && (
            <div className="staged-actions">
              <button type="button" onClick={() => ask('approve', null)}>Approve all {users.length}</button>
              <button type="button" className="secondary" onClick={() => ask('discard', null)}>Discard all {users.length}</button>
              <button type="button" disabled={selected.size === 0} onClick={() => ask('approve', [...selected])}>Approve selected ({selected.size})</button>
              <button type="button" className="secondary" disabled={selected.size === 0} onClick={() => ask('discard', [...selected])}>Discard selected ({selected.size})</button>
            </div>
          )}
          {pending && (
            <div className="confirm" role="alertdialog" aria-labelledby="confirm-words">
              <p id="confirm-words">
                {pending.action === 'approve'
                  ? `Apply ${count(pending)} deprovisioning${count(pending) === 1 ? '' : 's'} now? Access is revoked at once and their API keys are revoked.`
                  : `Discard ${count(pending)} held deprovisioning${count(pending) === 1 ? '' : 's'}? The users become active again in this directory and keep their access.`}
              </p>
              <button type="button" className={pending.action === 'approve' ? 'danger' : ''} disabled={decide.isPending} onClick={() => decide.mutate(pending)}>
                {pending.action === 'approve' ? 'Confirm approve' : 'Confirm discard'}
              </button>{' '}
              <button type="button" className="secondary" onClick={() => setPending(null)}>Cancel</button>
              {decide.error && <p className="error" role="alert">{decide.error.message}</p>}
            </div>
          )}
          <div className="staged-list">
            <DataTable caption={`${users.length} staged user${users.length === 1 ? '' : 's'}`} columns={columns} rows={users} empty="Nothing is held: every deprovisioning of this directory has been applied." />
          </div>
        </>
      )}
      {directoryId && <GuardForm key={directoryId} path={`${base}/deprovision-guard`} canWrite={canWrite} />}
    </>
  );
}

/** The directory's threshold; a reader sees it without the controls to change it. */
function GuardForm({ path, canWrite }: { path: string; canWrite: boolean }) {
  const settings = useQuery({ queryKey: ['deprovision-guard', path], queryFn: () => get<GuardSettings>(path) });
  const [form, setForm] = useState<GuardSettings | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (settings.data) setForm(settings.data);
  }, [settings.data]);
  const save = useMutation({
    mutationFn: (next: GuardSettings) => api<GuardSettings>('PATCH', path, next),
    onSuccess: (next) => {
      setForm(next);
      setSaved(true);
    },
  });
  if (!form) return null;
  const set = (patch: Partial<GuardSettings>) => {
    setSaved(false);
    setForm({ ...form, ...patch });
  };
  const problem = save.error instanceof ApiProblem ? save.error : null;
  return (
    <section className="panel guard-form" aria-labelledby="guard-heading">
      <h2 id="guard-heading">Threshold</h2>
      <p className="hint">
        Deprovisionings are held once more than {form.count} users, or more than {form.percent}% of the directory's active users, are deactivated
        or deleted within {form.windowMinutes} minutes (the percent rule never holds the first 10). A single offboarding is always applied at once.
      </p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(form);
        }}
      >
        <label className="check" htmlFor="guard-enabled">
          <input id="guard-enabled" type="checkbox" checked={form.enabled} disabled={!canWrite} onChange={(e) => set({ enabled: e.target.checked })} />
          Hold mass deprovisioning for approval
        </label>
        <div className="row">
          <div>
            <label htmlFor="guard-percent">Percent of active users</label>
            <input id="guard-percent" type="number" min={1} max={100} value={form.percent} disabled={!canWrite} onChange={(e) => set({ percent: Number(e.target.value) })} />
          </div>
          <div>
            <label htmlFor="guard-count">Users</label>
            <input id="guard-count" type="number" min={1} value={form.count} disabled={!canWrite} onChange={(e) => set({ count: Number(e.target.value) })} />
          </div>
          <div>
            <label htmlFor="guard-window">Window (minutes)</label>
            <input id="guard-window" type="number" min={1} max={1440} value={form.windowMinutes} disabled={!canWrite} onChange={(e) => set({ windowMinutes: Number(e.target.value) })} />
          </div>
        </div>
        {canWrite && <button type="submit" disabled={save.isPending}>Save threshold</button>}
        {saved && <p role="status">Threshold saved.</p>}
        {problem && (
          <p className="error" role="alert">
            {problem.errors.length ? problem.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : problem.detail}
          </p>
        )}
      </form>
    </section>
  );
}
