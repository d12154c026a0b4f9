import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, del, get, post } from '../api';
import { CopyButton } from '../components/CopyButton';
import { ms, when } from '../format';
import { plural } from '../rbac-api';
import { useSignedIn } from '../session';
import '../screens.css';

const WRITE = 'api.webhook.write';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  types: string[];
  status: 'active' | 'paused' | 'disabled';
  disabledReason: string | null;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  seq: number;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
}

/** Webhook endpoints: create (the signing secret shown once), pause, resume, test, delete; deliveries, redeliver, replay. */
export function Webhooks() {
  const s = useSignedIn();
  const canWrite = s.can(WRITE);
  const queries = useQueryClient();
  const base = `/orgs/${s.orgId}/webhooks`;
  const list = useQuery({ queryKey: ['webhooks', s.orgId], queryFn: () => get<{ webhooks: Endpoint[] }>(base) });
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const refresh = () => void queries.invalidateQueries({ queryKey: ['webhooks', s.orgId] });
  const act = useMutation({
    mutationFn: async ({ ep, action }: { ep: Endpoint; action: 'pause' | 'resume' | 'test' | 'delete' | 'rotate' }) => {
      if (action === 'delete') return del(`${base}/${ep.id}`).then(() => `Deleted ${ep.url}.`);
      if (action === 'test') return post(`${base}/${ep.id}/test`).then(() => `A webhook.test event is on its way to ${ep.url}.`);
      if (action === 'rotate') {
        const r = await post<{ secret: string }>(`${base}/${ep.id}/rotate-secret`, { overlapSeconds: 86_400 });
        setSecret({ id: ep.id, secret: r.secret });
        return 'New signing secret issued; the old one keeps signing for 24 hours.';
      }
      await api('PATCH', `${base}/${ep.id}`, { status: action === 'pause' ? 'paused' : 'active' });
      return action === 'pause' ? `Paused ${ep.url}: deliveries wait.` : `Resumed ${ep.url}.`;
    },
    onSuccess: (message) => {
      setSaid(message as string);
      refresh();
    },
  });
  const endpoints = list.data?.webhooks ?? [];
  return (
    <>
      <h1>Webhooks</h1>
      {canWrite && <CreateEndpoint base={base} onCreated={(id, sec) => (setSecret({ id, secret: sec }), refresh())} />}
      {secret && (
        <div className="once" role="region" aria-label="New signing secret">
          <p>
            <strong>Signing secret, shown once:</strong> <code data-testid="webhook-secret">{secret.secret}</code> <CopyButton text={secret.secret} label="Copy the signing secret" />
          </p>
          <p className="hint">Verify deliveries with it (Standard Webhooks). It is not shown again.</p>
        </div>
      )}
      {(list.error ?? act.error) && <p className="error" role="alert">{(list.error ?? act.error)!.message}</p>}
      {said && <p className="ok" role="status">{said}</p>}
      {list.data && (
        <table>
          <caption>{plural(endpoints.length, 'endpoint')}</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  No endpoint yet.
                </td>
              </tr>
            )}
            {endpoints.map((ep) => (
              <tr key={ep.id}>
                <td>
                  <code>{ep.url}</code>
                  {ep.description && <div className="hint">{ep.description}</div>}
                </td>
                <td>{ep.types.length ? ep.types.join(', ') : 'every event'}</td>
                <td className={ep.status === 'active' ? 'state-ok' : 'state-failed'}>
                  {ep.status}
                  {ep.disabledReason ? `: ${ep.disabledReason}` : ''}
                </td>
                <td>{when(ep.createdAt)}</td>
                <td>
                  <div className="toolbar">
                    <button type="button" className="secondary small" onClick={() => setSelected(selected === ep.id ? null : ep.id)} aria-label={`Deliveries to ${ep.url}`}>
                      Deliveries
                    </button>
                    {canWrite && (
                      <>
                        <button type="button" className="secondary small" disabled={act.isPending} onClick={() => act.mutate({ ep, action: ep.status === 'active' ? 'pause' : 'resume' })} aria-label={`${ep.status === 'active' ? 'Pause' : 'Resume'} ${ep.url}`}>
                          {ep.status === 'active' ? 'Pause' : 'Resume'}
                        </button>
                        <button type="button" className="secondary small" disabled={act.isPending} onClick={() => act.mutate({ ep, action: 'test' })} aria-label={`Send test event to ${ep.url}`}>
                          Send test event
                        </button>
                        <button type="button" className="secondary small" disabled={act.isPending} onClick={() => act.mutate({ ep, action: 'rotate' })} aria-label={`Rotate secret of ${ep.url}`}>
                          Rotate secret
                        </button>
                        <button type="button" className="danger small" disabled={act.isPending} onClick={() => act.mutate({ ep, action: 'delete' })} aria-label={`Delete ${ep.url}`}>
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && endpoints.some((e) => e.id === selected) && <Deliveries base={`${base}/${selected}`} endpoint={endpoints.find((e) => e.id === selected)!} canWrite={canWrite} />}
    </>
  );
}

function CreateEndpoint({ base, onCreated }: { base: string; onCreated: (id: string, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () => {
      const list = types.split(/[\s,]+/).filter(Boolean);
      return post<Endpoint & { secret: string }>(base, { url: url.trim(), ...(list.length ? { types: list } : {}), ...(description.trim() ? { description: description.trim() } : {}) });
    },
    onSuccess: (ep) => {
      setUrl('');
      setTypes('');
      setDescription('');
      onCreated(ep.id, ep.secret);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="inline" onSubmit={submit} aria-label="Add a webhook endpoint">
      <div>
        <label htmlFor="wh-url">Endpoint URL (https)</label>
        <input id="wh-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required />
      </div>
      <div>
        <label htmlFor="wh-types">Event types (empty for all)</label>
        <input id="wh-types" value={types} onChange={(e) => setTypes(e.target.value)} placeholder="user.deactivated, access.revoked" />
      </div>
      <div>
        <label htmlFor="wh-description">Description</label>
        <input id="wh-description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <button type="submit" disabled={create.isPending || !url.trim()}>
        Add endpoint
      </button>
      {create.error && <p className="error" role="alert">{create.error.message}</p>}
    </form>
  );
}

function Deliveries({ base, endpoint, canWrite }: { base: string; endpoint: Endpoint; canWrite: boolean }) {
  const queries = useQueryClient();
  const [state, setState] = useState('');
  const [since, setSince] = useState('');
  const deliveries = useQuery({
    queryKey: ['deliveries', endpoint.id, state],
    queryFn: () => get<{ deliveries: Delivery[] }>(`${base}/deliveries?limit=100${state ? `&state=${state}` : ''}`),
    refetchInterval: 5000,
  });
  const refresh = () => void queries.invalidateQueries({ queryKey: ['deliveries', endpoint.id] });
  const redeliver = useMutation({ mutationFn: (id: string) => post<Delivery>(`${base}/deliveries/${id}/redeliver`), onSuccess: refresh });
  const replay = useMutation({ mutationFn: () => post<{ events?: number }>(`${base}/replay`, { since: new Date(since).toISOString() }), onSuccess: refresh });
  const rows = deliveries.data?.deliveries ?? [];
  return (
    <section className="panel" aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Deliveries to {endpoint.url}</h2>
      <div className="toolbar">
        <label htmlFor="wh-state">State</label>
        <select id="wh-state" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">all</option>
          <option value="pending">pending</option>
          <option value="delivered">delivered</option>
          <option value="failed">failed</option>
        </select>
      </div>
      {canWrite && (
        <form
          className="inline"
          aria-label="Replay events"
          onSubmit={(e) => {
            e.preventDefault();
            replay.mutate();
          }}
        >
          <div>
            <label htmlFor="wh-replay-since">Replay every event since</label>
            <input id="wh-replay-since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} required />
          </div>
          <button type="submit" className="secondary" disabled={replay.isPending || !since}>
            Replay
          </button>
          {replay.data && <span role="status">Replay queued.</span>}
        </form>
      )}
      {(deliveries.error ?? redeliver.error ?? replay.error) && <p className="error" role="alert">{(deliveries.error ?? redeliver.error ?? replay.error)!.message}</p>}
      <table>
        <caption>{plural(rows.length, 'delivery', 'deliveries')}, latest first</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Answer</th>
            {canWrite && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={canWrite ? 6 : 5} className="empty">
                Nothing delivered yet.
              </td>
            </tr>
          )}
          {rows.map((d) => (
            <tr key={d.id}>
              <td>
                <code>{d.eventType}</code> <span className="hint">#{d.seq}</span>
              </td>
              <td className={d.state === 'failed' ? 'state-failed' : d.state === 'delivered' ? 'state-ok' : ''}>{d.state}</td>
              <td>{d.attempts}</td>
              <td>{when(d.lastAttemptAt)}</td>
              <td>
                {d.lastStatus ?? ''} {d.lastError ?? ''} {d.lastLatencyMs !== null ? `(${ms(d.lastLatencyMs)})` : ''}
              </td>
              {canWrite && (
                <td>
                  <button type="button" className="secondary small" disabled={redeliver.isPending} onClick={() => redeliver.mutate(d.id)} aria-label={`Redeliver event ${d.seq}`}>
                    Redeliver
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
