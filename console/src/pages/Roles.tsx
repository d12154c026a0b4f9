import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, get, post } from '../api';
import { useProjectNames, type Permission, type Policy, type Role } from '../rbac-api';
import { useSignedIn } from '../session';
import '../screens.css';

const ROLE_WRITE = 'api.role.write';

/** A column of the matrix: a preset, a custom role or a policy, and what each permission comes through. */
interface Column {
  key: string;
  name: string;
  kind: 'preset' | 'custom role' | 'policy';
  /** Permission id -> how the column holds it ('' directly, else the policy's name). */
  holds: Map<string, string>;
}

/** The permission matrix of presets, custom roles and policies, and the custom-role editor. */
export function Roles() {
  const s = useSignedIn();
  const canWrite = s.can(ROLE_WRITE);
  const catalog = useQuery({ queryKey: ['permissions'], queryFn: () => get<{ permissions: Permission[] }>('/permissions') });
  const roles = useQuery({ queryKey: ['roles', s.orgId], queryFn: () => get<{ roles: Role[] }>(`/orgs/${s.orgId}/roles`) });
  const policies = useQuery({ queryKey: ['policies', s.orgId], queryFn: () => get<{ policies: Policy[] }>(`/orgs/${s.orgId}/policies`) });
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const error = catalog.error ?? roles.error ?? policies.error;
  const policyList = policies.data?.policies ?? [];
  const policyById = new Map(policyList.map((p) => [p.id, p]));
  const columns: Column[] = [
    ...(roles.data?.roles ?? []).map((r): Column => {
      const holds = new Map(r.permissions.map((p) => [p, '']));
      for (const id of r.policyIds ?? []) for (const p of policyById.get(id)?.permissions ?? []) if (!holds.has(p)) holds.set(p, policyById.get(id)!.name);
      return { key: r.id, name: r.name, kind: r.preset ? 'preset' : 'custom role', holds };
    }),
    ...policyList.map((p): Column => ({ key: `policy-${p.id}`, name: p.name, kind: 'policy', holds: new Map(p.permissions.map((x) => [x, ''])) })),
  ];
  return (
    <>
      <h1>Roles and permissions</h1>
      {error && <p className="error" role="alert">{error.message}</p>}
      {canWrite && editing === null && (
        <div className="toolbar">
          <button type="button" onClick={() => setEditing('new')}>
            New custom role
          </button>
          {(roles.data?.roles ?? [])
            .filter((r) => !r.preset)
            .map((r) => (
              <button key={r.id} type="button" className="secondary" onClick={() => setEditing(r)}>
                Edit {r.name}
              </button>
            ))}
        </div>
      )}
      {canWrite && editing !== null && catalog.data && (
        <RoleEditor key={editing === 'new' ? 'new' : editing.id} orgId={s.orgId} role={editing === 'new' ? null : editing} catalog={catalog.data.permissions} policies={policyList} onDone={() => setEditing(null)} />
      )}
      {catalog.data && roles.data && (
        <div className="scroll" tabIndex={0} role="region" aria-label="Permission matrix">
          <table className="matrix">
            <caption>
              {catalog.data.permissions.length} permissions × {columns.length} roles and policies
            </caption>
            <thead>
              <tr>
                <th scope="col">Permission</th>
                {columns.map((c) => (
                  <th scope="col" key={c.key}>
                    {c.name}
                    <br />
                    <span className="hint">{c.kind}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {catalog.data.permissions.map((p) => (
                <tr key={p.id}>
                  <th scope="row">
                    <code>{p.id}</code>
                    <br />
                    <span className="hint">{p.level === 'organization' ? 'organization' : 'project'}</span>
                  </th>
                  {columns.map((c) => {
                    const via = c.holds.get(p.id);
                    return (
                      <td key={c.key}>
                        {via === undefined ? (
                          <span className="sr-only">no</span>
                        ) : (
                          <>
                            <span aria-hidden="true">✓</span>
                            <span className="sr-only">yes</span>
                            {via && <span className="hint"> via {via}</span>}
                          </>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Create (name, scope, permissions, policies) or edit (all but the scope) a custom role. */
function RoleEditor({ orgId, role, catalog, policies, onDone }: { orgId: string; role: Role | null; catalog: Permission[]; policies: Policy[]; onDone: () => void }) {
  const queries = useQueryClient();
  const projects = useProjectNames(orgId, true);
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [projectId, setProjectId] = useState('');
  const [chosen, setChosen] = useState(new Set(role?.permissions ?? []));
  const [chosenPolicies, setChosenPolicies] = useState(new Set(role?.policyIds ?? []));
  const save = useMutation({
    mutationFn: () => {
      const common = { name: name.trim(), description, permissions: [...chosen], policyIds: [...chosenPolicies] };
      return role
        ? api<Role>('PATCH', `/orgs/${orgId}/roles/${role.id}`, common)
        : post<Role>(`/orgs/${orgId}/roles`, { ...common, scope: projectId ? { type: 'project', projectId } : { type: 'organization' } });
    },
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['roles', orgId] });
      onDone();
    },
  });
  const toggle = (set: Set<string>, id: string, apply: (s: Set<string>) => void) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    apply(next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const eligible = catalog.filter((p) => p.customRoleEligible);
  return (
    <form className="stack panel" onSubmit={submit} aria-label={role ? `Edit role ${role.name}` : 'New custom role'}>
      <h2>{role ? `Edit role ${role.name}` : 'New custom role'}</h2>
      <div className="row">
        <div>
          <label htmlFor="role-name">Name</label>
          <input id="role-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </div>
        <div>
          <label htmlFor="role-description">Description</label>
          <input id="role-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        </div>
        {!role && (
          <div>
            <label htmlFor="role-scope">Usable in</label>
            <select id="role-scope" value={projectId} onChange={(e) => setProjectId(e.target.value)}>
              <option value="">the whole organization</option>
              {[...projects.entries()].map(([id, n]) => (
                <option key={id} value={id}>
                  project {n} only
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <fieldset>
        <legend>Permissions ({chosen.size} chosen; only those custom roles may hold are listed)</legend>
        <div className="checks">
          {eligible.map((p) => (
            <label key={p.id}>
              <input type="checkbox" checked={chosen.has(p.id)} onChange={() => toggle(chosen, p.id, setChosen)} />
              <code>{p.id}</code>
            </label>
          ))}
        </div>
      </fieldset>
      {policies.length > 0 && (
        <fieldset>
          <legend>Policies</legend>
          <div className="checks">
            {policies.map((p) => (
              <label key={p.id}>
                <input type="checkbox" checked={chosenPolicies.has(p.id)} onChange={() => toggle(chosenPolicies, p.id, setChosenPolicies)} />
                {p.name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {save.error && <p className="error" role="alert">{save.error.message}</p>}
      <div className="toolbar">
        <button type="submit" disabled={save.isPending || !name.trim() || chosen.size + chosenPolicies.size === 0}>
          {role ? 'Save role' : 'Create role'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
