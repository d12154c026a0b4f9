import type { AuditLog } from '../audit/audit.service';
import type { AccessRecompute } from './access-recompute';
import type { RbacStore } from './rbac.service';

export type ReconcileService = ReturnType<typeof createReconcileService>;

/**
 * What a worker does for one principal: recompute its access from current state and store it; for a
 * user who is no longer active (or no longer exists), also revoke every API key it owns. Revoked keys
 * stay revoked on reactivation: a key is a secret that may have left with the person.
 */
export function createReconcileService(deps: {
  recompute: Pick<AccessRecompute, 'recomputeUser' | 'recomputeUsers' | 'recomputeUsersBulk' | 'recomputeServiceAccount'>;
  rbac: Pick<RbacStore, 'revokeKeysOf'>;
  audit: Pick<AuditLog, 'record'>;
}) {
  async function reconcileUser(orgId: string, userId: string, changeId: string): Promise<void> {
    await afterRecompute(orgId, await deps.recompute.recomputeUser(orgId, userId, changeId), changeId);
  }

  async function reconcileUsers(orgId: string, userIds: string[], changeId: string): Promise<void> {
    for (const doc of await deps.recompute.recomputeUsers(orgId, userIds, changeId)) await afterRecompute(orgId, doc, changeId);
  }

  /** A fan-out over a very large group (or the whole organization) in one streamed pass; `onProgress` after each stored chunk. */
  async function reconcileUsersBulk(
    orgId: string,
    target: { userIds: string[]; groupIds: string[]; wholeOrg: boolean },
    changeId: string,
    onProgress: () => Promise<void>,
  ): Promise<void> {
    await deps.recompute.recomputeUsersBulk(orgId, target, changeId, async (docs) => {
      for (const doc of docs) await afterRecompute(orgId, doc, changeId);
      await onProgress();
    });
  }

  async function afterRecompute(orgId: string, doc: { isActive: boolean; principalId: string }, changeId: string): Promise<void> {
    if (doc.isActive) return;
    const userId = doc.principalId;
    const revoked = await deps.rbac.revokeKeysOf(orgId, 'user', userId, 'owner deprovisioned');
    if (revoked > 0) {
      await deps.audit.record({
        orgId,
        actor: { type: 'system', id: 'propagation' },
        action: 'user.api_keys_revoked',
        target: { type: 'user', id: userId },
        summary: { revokedKeys: revoked, reason: 'owner deprovisioned' },
        changeId,
      });
    }
  }

  async function reconcileServiceAccount(orgId: string, serviceAccountId: string, changeId: string): Promise<void> {
    await deps.recompute.recomputeServiceAccount(orgId, serviceAccountId, changeId);
  }

  return { reconcileUser, reconcileUsers, reconcileUsersBulk, reconcileServiceAccount };
}
