import type { AuditActor, AuditLog } from '../audit/audit.service';
import type { ChangeLog } from '../propagation/change-log';
import type { ChangeKind } from '../propagation/change.model';
import type { Pipeline } from '../propagation/pipeline';
import { InvalidRequest } from '../shared/errors';
import type { AccessImpact, RbacStore } from './rbac.service';
import type { ScopeDoc } from './rbac.models';

/** Who asked, for the audit log and the change record. */
export interface AdminContext {
  orgId: string;
  actor: AuditActor;
  requestId?: string;
}

export interface AdminWrite<T> {
  result: T;
  changeIds: string[];
}

export type AdminWriteSteps = ReturnType<typeof createAdminWriteSteps>;

/** What every admin write shares around its own store call: the scope check, the change record, the audit entry. */
export function createAdminWriteSteps(deps: {
  rbac: Pick<RbacStore, 'getProject'>;
  changes: Pick<ChangeLog, 'record'>;
  pipeline: Pick<Pipeline, 'applyNow'>;
  audit: Pick<AuditLog, 'record'>;
}) {
  const { rbac, changes, pipeline, audit } = deps;

  /** `beforeApply` runs between recording the change and applying it (the write's own events go first). */
  async function propagate(ctx: AdminContext, kind: ChangeKind, impact: AccessImpact, beforeApply?: (changeIds: string[]) => Promise<void>): Promise<string[]> {
    const ids = await changes.record({ orgId: ctx.orgId, kind, ...impact, requestId: ctx.requestId });
    await beforeApply?.(ids);
    await pipeline.applyNow(ctx.orgId, ids);
    return ids;
  }

  async function audited(
    ctx: AdminContext,
    action: string,
    target: { type: string; id: string; display?: string },
    summary: Record<string, unknown>,
    changeId?: string,
  ) {
    await audit.record({ orgId: ctx.orgId, actor: ctx.actor, action, target, summary, requestId: ctx.requestId, changeId });
  }

  async function checkScope(orgId: string, scope: ScopeDoc) {
    if (scope.type === 'project') {
      const p = await rbac.getProject(orgId, scope.projectId);
      if (p.archivedAt) throw new InvalidRequest(`project ${p._id} is archived`);
    }
  }

  return { propagate, audited, checkScope };
}
