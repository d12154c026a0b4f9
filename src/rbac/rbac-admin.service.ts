import type { AuditLog } from '../audit/audit.service';
import type { PrincipalQueries } from '../directory/principal.queries';
import type { ChangeLog } from '../propagation/change-log';
import type { Pipeline } from '../propagation/pipeline';
import type { EventRecorder } from '../events/event-recorder';
import { createAdminWriteSteps } from './admin-write';
import { createBindingAdmin } from './binding-admin.service';
import { createKeyAdmin } from './key-admin.service';
import { createProjectAdmin } from './project-admin.service';
import type { RbacStore } from './rbac.service';
import { createRoleAdmin } from './role-admin.service';

export type RbacAdminService = ReturnType<typeof createRbacAdminService>;

/**
 * Admin writes that can change access: store, record the change, apply it (so the admin's next
 * check already sees it; the queue and sweeper finish anything this misses), and audit.
 */
export function createRbacAdminService(deps: {
  rbac: RbacStore;
  principals: PrincipalQueries;
  changes: ChangeLog;
  pipeline: Pipeline;
  audit: AuditLog;
  /** The event log (binding.created / binding.deleted). */
  events?: Pick<EventRecorder, 'record'>;
}) {
  const { rbac, principals } = deps;
  const steps = createAdminWriteSteps(deps);
  return {
    ...createProjectAdmin({ rbac, steps }),
    ...createRoleAdmin({ rbac, steps }),
    ...createBindingAdmin({ rbac, principals, steps, events: deps.events }),
    ...createKeyAdmin({ rbac, principals, steps }),
  };
}
