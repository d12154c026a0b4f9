import { useQueries, useQuery } from '@tanstack/react-query';
import { get } from '../api';
import type { WebhookEndpoint } from '../request-log-api';
import './request-log.css';

// The overview's failing webhook endpoints: disabled, or with failed or retried deliveries.

interface DeliveryRow {
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
}

/** Endpoints an admin must look at: disabled, or whose recent deliveries failed or are being retried. */
export function FailingWebhooks({ orgId }: { orgId: string }) {
  const endpoints = useQuery({
    queryKey: ['webhooks', orgId],
    queryFn: () => get<{ webhooks: WebhookEndpoint[] }>(`/orgs/${orgId}/webhooks`),
    refetchInterval: 30_000,
  });
  const list = endpoints.data?.webhooks ?? [];
  const deliveries = useQueries({
    queries: list.map((e) => ({
      queryKey: ['webhook-deliveries', e.id],
      queryFn: () => get<{ deliveries: DeliveryRow[] }>(`/orgs/${orgId}/webhooks/${e.id}/deliveries?limit=20`),
      refetchInterval: 30_000,
    })),
  });
  const failing = list
    .map((e, i) => {
      const recent = deliveries[i]?.data?.deliveries ?? [];
      const failed = recent.filter((d) => d.state === 'failed').length;
      const retrying = recent.filter((d) => d.state === 'pending' && d.attempts > 0).length;
      return { e, failed, retrying };
    })
    .filter((x) => x.e.status === 'disabled' || x.failed > 0 || x.retrying > 0);
  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhook endpoints</h2>
      {endpoints.error && <p className="error" role="alert">{endpoints.error.message}</p>}
      {endpoints.data && list.length === 0 && <p className="hint">No webhook endpoint.</p>}
      {endpoints.data && list.length > 0 && failing.length === 0 && <p>All {list.length} endpoint{list.length === 1 ? '' : 's'} deliver.</p>}
      {failing.length > 0 && (
        <table>
          <caption>Failing endpoints</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Recent deliveries</th>
            </tr>
          </thead>
          <tbody>
            {failing.map(({ e, failed, retrying }) => (
              <tr key={e.id}>
                <td><code>{e.url}</code></td>
                <td>{e.status}{e.status === 'disabled' && typeof e.disabledReason === 'string' ? `: ${e.disabledReason}` : ''}</td>
                <td>{failed} failed, {retrying} retrying (of the last 20)</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
