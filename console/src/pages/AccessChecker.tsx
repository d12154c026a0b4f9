import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { get, post, type CheckResult, type Project } from '../api';
import { useSignedIn } from '../session';
import { GrantPath } from './AccessRows';

type SubjectKind = 'userName' | 'userId' | 'serviceAccountId' | 'apiKeyId';
const SUBJECT_LABELS: Record<SubjectKind, string> = { userName: 'User name', userId: 'User id', serviceAccountId: 'Service account id', apiKeyId: 'API key id' };

/** Words for the check's machine-readable reasons. */
const REASONS: Record<string, string> = {
  granted: 'granted',
  no_grant: 'no binding grants this permission',
  owner_no_grant: "the key's owner does not hold this permission",
  inactive: 'the subject is deactivated',
  unknown_permission: 'there is no such permission',
  project_required: 'this permission is project-level: choose a project',
  unknown_subject: 'no such subject in this organization',
};

export function AccessChecker() {
  const s = useSignedIn();
  const [kind, setKind] = useState<SubjectKind>('userName');
  const [subject, setSubject] = useState('');
  const [permission, setPermission] = useState('');
  const [projectId, setProjectId] = useState('');
  const catalog = useQuery({ queryKey: ['permissions'], queryFn: () => get<{ permissions: Array<{ id: string }> }>('/permissions') });
  const projects = useQuery({
    queryKey: ['projects', s.orgId],
    enabled: s.can('api.project_administration.read'),
    queryFn: () => get<{ projects: Project[] }>(`/orgs/${s.orgId}/projects`),
  });
  const check = useMutation({
    mutationFn: () => post<CheckResult>('/access/check', { subject: { [kind]: subject.trim() }, permission: permission.trim(), ...(projectId.trim() ? { projectId: projectId.trim() } : {}) }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    check.mutate();
  };
  const r = check.data;
  return (
    <>
      <h1>Access checker</h1>
      <form className="stack" onSubmit={submit} aria-label="Check access">
        <div className="row">
          <div>
            <label htmlFor="check-kind">Subject</label>
            <select id="check-kind" value={kind} onChange={(e) => setKind(e.target.value as SubjectKind)}>
              {Object.entries(SUBJECT_LABELS).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="check-subject">{SUBJECT_LABELS[kind]}</label>
            <input id="check-subject" value={subject} onChange={(e) => setSubject(e.target.value)} required />
          </div>
        </div>
        <div className="row">
          <div>
            <label htmlFor="check-permission">Permission</label>
            <input id="check-permission" list="permission-ids" value={permission} onChange={(e) => setPermission(e.target.value)} required />
            <datalist id="permission-ids">
              {catalog.data?.permissions.map((p) => <option key={p.id} value={p.id} />)}
            </datalist>
          </div>
          <div>
            <label htmlFor="check-project">Project (for project-level permissions)</label>
            {projects.data ? (
              <select id="check-project" value={projectId} onChange={(e) => setProjectId(e.target.value)}>
                <option value="">none</option>
                {projects.data.projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            ) : (
              <input id="check-project" value={projectId} onChange={(e) => setProjectId(e.target.value)} placeholder="project id" />
            )}
          </div>
        </div>
        <button type="submit" disabled={check.isPending}>
          Check
        </button>
      </form>
      {check.error && <p className="error" role="alert">{check.error.message}</p>}
      {r && (
        <section className={`verdict ${r.allowed ? 'allowed' : 'denied'}`} aria-live="polite" aria-label="Answer">
          <p>
            <strong>{r.allowed ? 'Allowed' : 'Denied'}</strong>: {REASONS[r.reason] ?? r.reason}
          </p>
          {r.grants.length > 0 && (
            <ul className="plain">
              {r.grants.map((g) => (
                <li key={g.bindingId + (g.policyId ?? '')}>
                  <GrantPath grant={g} projectName={projects.data?.projects.find((p) => p.id === g.projectId)?.name} />
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
