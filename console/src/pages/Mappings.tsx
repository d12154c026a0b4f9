import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { del, get, post, type Directory } from '../api';
import { DataTable } from '../components/DataTable';
import { when } from '../format';
import { plural, scopeName, useProjectNames, type Binding, type BindingImpact, type GroupList, type Role, type ScopeRef } from '../rbac-api';
import { ORG_ADMIN_READ, useSignedIn } from '../session';
import '../screens.css';

const ROLE_WRITE = 'api.role.write';
const column = createColumnHelper<Binding>();

/** Group-to-role bindings: listed, deleted, and created only after reading their impact preview. */
export function Mappings() {
  const s = useSignedIn();
  const canWrite = s.can(ROLE_WRITE);
  const queries = useQueryClient();
  const projects = useProjectNames(s.orgId, s.can('api.project_administration.read'));
  const bindings = useQuery({ queryKey: ['bindings', s.orgId], queryFn: () => get<{ bindings: Binding[] }>(`/orgs/${s.orgId}/bindings`) });
  const roles = useQuery({ queryKey: ['roles', s.orgId], queryFn: () => get<{ roles: Role[] }>(`/orgs/${s.orgId}/roles`) });
  const roleName = (id: string) => roles.data?.roles.find((r) => r.id === id)?.name ?? id;
  const remove = useMutation({
    mutationFn: (id: string) => del(`/orgs/${s.orgId}/bindings/${id}`),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ['bindings', s.orgId] }),
  });
  const principalLabel = (p: Binding['principal']) => `${p.type === 'serviceAccount' ? 'service account' : p.type} ${p.display ?? p.id}`;
  const columns = [
    column.accessor('principal', { header: 'Group or principal', cell: (c) => principalLabel(c.getValue()) }),
    column.accessor('roleId', { header: 'Role', cell: (c) => roleName(c.getValue()) }),
    column.accessor('scope', { header: 'Scope', cell: (c) => scopeName(c.getValue(), projects) }),
    column.accessor('createdAt', { header: 'Created', cell: (c) => when(c.getValue()) }),
    ...(canWrite
      ? [
          column.display({
            id: 'actions',
            header: 'Actions',
            cell: (c) => (
              <button
                type="button"
                className="danger small"
                disabled={remove.isPending}
                aria-label={`Delete the mapping of ${principalLabel(c.row.original.principal)} to ${roleName(c.row.original.roleId)}`}
                onClick={() => remove.mutate(c.row.original.id)}
              >
                Delete
              </button>
            ),
          }),
        ]
      : []),
  ];
  const list = bindings.data?.bindings ?? [];
  // Groups first: they are what an IdP sync maps; user and service-account bindings follow.
  const sorted = [...list.filter((b) => b.principal.type === 'group'), ...list.filter((b) => b.principal.type !== 'group')];
  return (
    <>
      <h1>Mappings</h1>
      <p className="hint">A mapping binds an IdP group to a role in the organization or in one project: every member, through nested groups too, holds the role's permissions there.</p>
      {canWrite && s.can(ORG_ADMIN_READ) && roles.data && <NewMapping orgId={s.orgId} roles={roles.data.roles} projects={projects} />}
      {(bindings.error ?? remove.error) && <p className="error" role="alert">{(bindings.error ?? remove.error)!.message}</p>}
      {bindings.data && <DataTable caption={plural(list.length, 'mapping')} columns={columns} rows={sorted} empty="No mapping yet." />}
    </>
  );
}

interface Draft {
  directoryId: string;
  groupId: string;
  roleId: string;
  /** '' for the organization, else a project id. */
  projectId: string;
}

const bodyOf = (d: Draft) => ({
  principal: { type: 'group', id: d.groupId },
  scope: (d.projectId ? { type: 'project', projectId: d.projectId } : { type: 'organization' }) as ScopeRef,
  roleId: d.roleId,
});

function NewMapping({ orgId, roles, projects }: { orgId: string; roles: Role[]; projects: Map<string, string> }) {
  const queries = useQueryClient();
  const dirs = useQuery({ queryKey: ['directories', orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${orgId}/directories`) });
  const [draft, setDraft] = useState<Draft>({ directoryId: '', groupId: '', roleId: '', projectId: '' });
  const [search, setSearch] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const directoryId = draft.directoryId || dirs.data?.directories[0]?.id || '';
  const groups = useQuery({
    queryKey: ['groups', directoryId, search, 1],
    enabled: Boolean(directoryId),
    queryFn: () => get<GroupList>(`/orgs/${orgId}/directories/${directoryId}/groups?count=100${search ? `&search=${encodeURIComponent(search)}` : ''}`),
  });
  const set = (patch: Partial<Draft>) => {
    setSaved(null);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const preview = useMutation({ mutationFn: (d: Draft) => post<BindingImpact>(`/orgs/${orgId}/bindings/preview`, bodyOf(d)).then((impact) => ({ impact, draft: d })) });
  const save = useMutation({
    mutationFn: (d: Draft) => post<Binding>(`/orgs/${orgId}/bindings`, bodyOf(d)),
    onSuccess: () => {
      setSaved(`Saved: ${preview.data?.impact.principal.display ?? 'the group'} now holds ${preview.data?.impact.role.name ?? 'the role'}.`);
      preview.reset();
      void queries.invalidateQueries({ queryKey: ['bindings', orgId] });
    },
  });
  // The preview shown must be of exactly what Save would send; any edit asks for a new one.
  const current = preview.data && JSON.stringify(preview.data.draft) === JSON.stringify({ ...draft, directoryId });
  const ready = Boolean(draft.groupId && draft.roleId);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) preview.mutate({ ...draft, directoryId });
  };
  const role = roles.find((r) => r.id === draft.roleId);
  const projectOnly = role ? (typeof role.scope === 'string' ? role.scope === 'project' : role.scope.type === 'project') : false;
  return (
    <section className="panel" aria-labelledby="new-mapping">
      <h2 id="new-mapping">New mapping</h2>
      <form className="stack" onSubmit={submit} aria-label="New mapping">
        <div className="row">
          {(dirs.data?.directories.length ?? 0) > 1 && (
            <div>
              <label htmlFor="map-directory">Directory</label>
              <select id="map-directory" value={directoryId} onChange={(e) => set({ directoryId: e.target.value, groupId: '' })}>
                {dirs.data!.directories.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div>
            <label htmlFor="map-group-search">Find a group</label>
            <input id="map-group-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
          <div>
            <label htmlFor="map-group">Group</label>
            <select id="map-group" value={draft.groupId} onChange={(e) => set({ groupId: e.target.value })} required>
              <option value="">choose a group</option>
              {groups.data?.groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.displayName} ({plural(g.memberCount, 'member')})
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="map-role">Role</label>
            <select id="map-role" value={draft.roleId} onChange={(e) => set({ roleId: e.target.value })} required>
              <option value="">choose a role</option>
              {roles.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                  {r.preset ? ' (preset)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="map-scope">Where</label>
            <select id="map-scope" value={draft.projectId} onChange={(e) => set({ projectId: e.target.value })}>
              {!projectOnly && <option value="">the whole organization</option>}
              {projectOnly && <option value="">choose a project</option>}
              {[...projects.entries()].map(([id, name]) => (
                <option key={id} value={id}>
                  project {name}
                </option>
              ))}
            </select>
          </div>
        </div>
        <button type="submit" className="secondary" disabled={!ready || preview.isPending}>
          Preview impact
        </button>
      </form>
      {preview.error && <p className="error" role="alert">{preview.error.message}</p>}
      {saved && <p className="ok" role="status">{saved}</p>}
      {preview.data && current && (
        <div className="impact" role="region" aria-live="polite" aria-label="Impact preview">
          <ImpactText impact={preview.data.impact} projects={projects} />
          <button type="button" disabled={save.isPending || preview.data.impact.alreadyBound} onClick={() => save.mutate(preview.data!.draft)}>
            Save mapping
          </button>
          {save.error && <p className="error" role="alert">{save.error.message}</p>}
        </div>
      )}
    </section>
  );
}

/** "Grants api.model.read in project Research to 2 users; 1 already has it." — one line per permission. */
export function ImpactText({ impact, projects }: { impact: BindingImpact; projects: Map<string, string> }) {
  const where = (p: BindingImpact['permissions'][number]) =>
    p.inEveryProject ? 'in every project' : p.scope.type === 'organization' ? 'in the organization' : `in ${projects.get(p.scope.projectId) ?? p.scope.projectId}`;
  return (
    <>
      <p>
        <strong>{impact.principal.display ?? impact.principal.id}</strong> reaches {plural(impact.users, 'user')} through its members and nested groups
        {impact.inactiveUsers > 0 ? ` (${plural(impact.inactiveUsers, 'deactivated user')} ${impact.inactiveUsers === 1 ? 'gains' : 'gain'} nothing)` : ''}. Binding{' '}
        <strong>{impact.role.name}</strong> to it:
      </p>
      {impact.alreadyBound && <p className="error">This mapping exists already: saving it would change nothing.</p>}
      {impact.permissions.length === 0 ? (
        <p>grants no permission here.</p>
      ) : (
        <ul className="paths" data-testid="impact-lines">
          {impact.permissions.map((p) => (
            <li key={p.permission}>
              grants <code>{p.permission}</code> {where(p)} to {plural(p.gainedBy, 'user')}; {p.alreadyHad.toLocaleString('en-US')} already {p.alreadyHad === 1 ? 'has' : 'have'} it
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
