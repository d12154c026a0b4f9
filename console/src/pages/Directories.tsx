import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, post, type Directory, type DirectoryToken } from '../api';
import { CopyButton } from '../components/CopyButton';
import { PROVIDER_NAMES, when } from '../format';
import { ORG_ADMIN_WRITE, useSignedIn } from '../session';
import { SetupGuide } from './SetupGuide';

/** A token as the API answered it once: kept in this screen's state only, gone on reload. */
interface ShownToken {
  directoryId: string;
  token: string;
}

export function Directories() {
  const s = useSignedIn();
  const canWrite = s.can(ORG_ADMIN_WRITE);
  const dirs = useQuery({ queryKey: ['directories', s.orgId], queryFn: () => get<{ directories: Directory[] }>(`/orgs/${s.orgId}/directories`) });
  const [shown, setShown] = useState<ShownToken | null>(null);
  return (
    <>
      <h1>Directories</h1>
      {canWrite && <CreateDirectory orgId={s.orgId} onCreated={setShown} />}
      {dirs.error && <p className="error" role="alert">{dirs.error.message}</p>}
      {dirs.data?.directories.length === 0 && <p>No directory yet.</p>}
      {dirs.data?.directories.map((d) => (
        <DirectoryPanel key={d.id} orgId={s.orgId} directory={d} canWrite={canWrite} shown={shown?.directoryId === d.id ? shown.token : null} onIssued={setShown} />
      ))}
    </>
  );
}

function CreateDirectory({ orgId, onCreated }: { orgId: string; onCreated: (t: ShownToken) => void }) {
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<Directory['provider']>('okta');
  const create = useMutation({
    mutationFn: () => post<Directory & { token: string }>(`/orgs/${orgId}/directories`, { name: name.trim(), provider }),
    onSuccess: (d) => {
      setName('');
      onCreated({ directoryId: d.id, token: d.token });
      void queries.invalidateQueries({ queryKey: ['directories', orgId] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="inline" onSubmit={submit} aria-label="Create a directory">
      <div>
        <label htmlFor="dir-name">Name</label>
        <input id="dir-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      </div>
      <div>
        <label htmlFor="dir-provider">Provider</label>
        <select id="dir-provider" value={provider} onChange={(e) => setProvider(e.target.value as Directory['provider'])}>
          <option value="okta">Okta</option>
          <option value="entra">Microsoft Entra ID</option>
          <option value="generic">Generic SCIM</option>
        </select>
      </div>
      <button type="submit" disabled={create.isPending || !name.trim()}>
        Create directory
      </button>
      {create.error && <p className="error" role="alert">{create.error.message}</p>}
    </form>
  );
}

function DirectoryPanel(props: { orgId: string; directory: Directory; canWrite: boolean; shown: string | null; onIssued: (t: ShownToken) => void }) {
  const { orgId, directory: d, canWrite, shown } = props;
  const queries = useQueryClient();
  const base = `/orgs/${orgId}/directories/${d.id}/tokens`;
  const tokens = useQuery({ queryKey: ['tokens', d.id], queryFn: () => get<{ tokens: DirectoryToken[] }>(base) });
  const refresh = () => void queries.invalidateQueries({ queryKey: ['tokens', d.id] });
  const rotate = useMutation({
    mutationFn: () => post<{ tokenId: string; token: string }>(base),
    onSuccess: (t) => {
      props.onIssued({ directoryId: d.id, token: t.token });
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (tokenId: string) => del(`${base}/${tokenId}`), onSuccess: refresh });
  return (
    <section className="panel" aria-labelledby={`dir-${d.id}`}>
      <h2 id={`dir-${d.id}`}>
        {d.name} <span className="tag">{PROVIDER_NAMES[d.provider] ?? d.provider}</span>
      </h2>
      {shown && (
        <div className="once" role="region" aria-label="New token">
          <p>
            <strong>Token, shown once:</strong> <code data-testid="new-token">{shown}</code> <CopyButton text={shown} label="Copy the token" />
          </p>
          <p className="hint">Only its hash is stored: copy it into the IdP now. Older tokens keep working until you revoke them.</p>
        </div>
      )}
      <SetupGuide directory={d} />
      <table>
        <caption>Tokens of {d.name}</caption>
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">Created</th>
            <th scope="col">Last request</th>
            <th scope="col">State</th>
            {canWrite && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {(tokens.data?.tokens ?? []).map((t) => (
            <tr key={t.id}>
              <td>
                <code>…{t.hint}</code>
              </td>
              <td>{when(t.createdAt)}</td>
              <td>{t.lastUsedAt ? when(t.lastUsedAt) : 'waiting for the first request'}</td>
              <td>{t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'live'}</td>
              {canWrite && (
                <td>
                  {!t.revokedAt && (
                    <button type="button" className="danger small" disabled={revoke.isPending} onClick={() => revoke.mutate(t.id)} aria-label={`Revoke token ending ${t.hint}`}>
                      Revoke
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {canWrite && (
        <button type="button" className="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
          Rotate: issue a new token
        </button>
      )}
      {(rotate.error ?? revoke.error) && <p className="error" role="alert">{(rotate.error ?? revoke.error)!.message}</p>}
    </section>
  );
}
