import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { get } from '../api';
import { ms } from '../format';
import type { RequestEntry, StoredBody } from '../request-log-api';
import { useSignedIn } from '../session';
import { readablePath, StatusCode, time } from './RequestLog';
import './request-log.css';

// One SCIM request as the IdP sent it and as it was answered, with the failure in words.

function pretty(text: string, isTruncated: boolean): string {
  if (isTruncated) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Body({ title, body }: { title: string; body: StoredBody }) {
  const id = `body-${title.toLowerCase()}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {body.body === null ? (
        <p className="hint">No body.</p>
      ) : (
        <>
          {body.isTruncated && <p className="hint">Truncated: the first 16 KB of {body.chars.toLocaleString('en-GB')} characters are kept.</p>}
          <pre className="json" tabIndex={0} aria-label={`${title} body`}>{pretty(body.body, body.isTruncated)}</pre>
        </>
      )}
    </section>
  );
}

export function RequestDetail() {
  const s = useSignedIn();
  const { directoryId, requestId } = useParams();
  const entry = useQuery({
    queryKey: ['request', directoryId, requestId],
    queryFn: () => get<RequestEntry>(`/orgs/${s.orgId}/directories/${directoryId}/requests/${encodeURIComponent(requestId ?? '')}`),
  });
  const back = <p><Link to={`/requests?directory=${directoryId}`}>← SCIM request log</Link></p>;
  if (entry.error) return <>{back}<p className="error" role="alert">{entry.error.message}</p></>;
  if (!entry.data) return <p role="status">Loading…</p>;
  const e = entry.data;
  return (
    <>
      {back}
      <h1>
        {e.method} <code>{readablePath(e.path)}</code>
      </h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd><StatusCode status={e.status} /></dd>
        <dt>Time</dt>
        <dd>{time(e.at)}</dd>
        <dt>Latency</dt>
        <dd>{ms(e.latencyMs)}</dd>
        <dt>User agent</dt>
        <dd>{e.userAgent ?? '—'}</dd>
        <dt>Request id</dt>
        <dd><code>{e.requestId}</code></dd>
      </dl>
      {e.failure && (
        <div className="failure" role="note" aria-label="Why the request failed">
          <p><strong>Why it failed:</strong> {e.failure.reason}</p>
          {e.failure.detail && <p>The service answered: “{e.failure.detail}”</p>}
          {e.failure.scimType && <p>SCIM error type: <code>{e.failure.scimType}</code></p>}
        </div>
      )}
      <div className="bodies">
        <Body title="Request" body={e.request} />
        <Body title="Response" body={e.response} />
      </div>
    </>
  );
}
