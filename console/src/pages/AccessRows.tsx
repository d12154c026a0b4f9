import type { GrantRef } from '../api';

/** "role Org reader, bound to group Data-Science" — how a permission reaches its holder. */
export function GrantPath({ grant, projectName }: { grant: GrantRef; projectName?: string }) {
  const via = grant.via.type === 'group' ? `group ${grant.via.display ?? grant.via.id}` : grant.via.type === 'user' ? 'the user directly' : `service account ${grant.via.display ?? grant.via.id}`;
  const scope = grant.scope === 'organization' ? 'the organization' : `project ${projectName ?? grant.projectId}`;
  return (
    <span className="grant">
      role <strong>{grant.roleName}</strong> on {scope}, bound to {via}
      {grant.policyId ? ` (through policy ${grant.policyId})` : ''}
    </span>
  );
}
