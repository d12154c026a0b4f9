import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { get } from '../api';
import { ORG_ADMIN_READ, useSignedIn } from '../session';
import type { StagedCounts } from '../staged-api';
import '../pages/staged.css';

/** On every screen while any directory holds a mass deprovisioning: people the IdP says left still have access. */
export function StagedBanner() {
  const s = useSignedIn();
  const counts = useQuery({
    queryKey: ['staged-counts', s.orgId],
    enabled: s.can(ORG_ADMIN_READ),
    refetchInterval: 15_000,
    queryFn: () => get<StagedCounts>(`/orgs/${s.orgId}/staged`),
  });
  const total = counts.data?.directories.reduce((n, d) => n + d.total, 0) ?? 0;
  if (total === 0) return null;
  const first = counts.data!.directories[0].directoryId;
  return (
    <div className="staged-banner" role="status">
      <strong>
        {total} deprovisioning{total === 1 ? '' : 's'} held for approval.
      </strong>{' '}
      The IdP deactivated or deleted more users than the directory's threshold allows; they keep their access until you decide.{' '}
      <Link to={`/staged?directory=${first}`}>Review staged users</Link>
    </div>
  );
}
