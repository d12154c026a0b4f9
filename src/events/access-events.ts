// access.changed and access.revoked: what the propagation workers know and no IdP says, built from
// the difference between the stored access document and the one about to replace it.
import { diffAccess, type AccessSummary } from './access-diff';
import { eventId } from './event-ids';
import type { EventDraft } from './event-types';
import type { EventRecorder } from './event-recorder';

/** One principal's access as a recompute is about to store it, beside what was stored. */
export interface AccessTransition {
  orgId: string;
  principal: { type: 'user' | 'serviceAccount'; id: string };
  directoryId?: string;
  previous: AccessSummary | null;
  next: AccessSummary;
  /** The `computedAt` of the new document: when the new access is stored and checks answer by it. */
  effectiveAt: Date;
}

const SYSTEM = { type: 'system' as const, id: 'propagation' };

/**
 * The drafts of one transition. Ids come from (change, principal, scope, version of the document
 * replaced): re-running the same change before the new document is stored gives the same ids, and
 * after it is stored finds nothing changed, so no second event either way. `liveKeys` is how many
 * API keys the user still has, which the worker revokes right after storing (reconcile.service.ts).
 */
export function accessEventsOf(t: AccessTransition, changeId: string | null, liveKeys = 0): EventDraft[] {
  const diff = diffAccess(t.previous, t.next);
  if (diff.kind === 'none') return [];
  const docKey = `${t.principal.type}:${t.principal.id}`;
  const prevVersion = t.previous?.version ?? 0;
  const base = {
    orgId: t.orgId,
    ...(t.directoryId ? { directoryId: t.directoryId } : {}),
    subject: { type: t.principal.type, id: t.principal.id },
    changeId,
    requestId: null,
    actor: SYSTEM,
    occurredAt: t.effectiveAt,
  };
  const effectiveAt = t.effectiveAt.toISOString();
  if (diff.kind === 'revoked') {
    return [
      {
        ...base,
        _id: eventId('access.revoked', changeId ?? '', docKey, prevVersion),
        type: 'access.revoked',
        data: { principal: t.principal, revoked: diff.revoked, revokedKeys: liveKeys, effectiveAt },
      },
    ];
  }
  return diff.scopes.map((s) => ({
    ...base,
    _id: eventId('access.changed', changeId ?? '', docKey, s.scope.type === 'project' ? `project:${s.scope.projectId}` : 'organization', prevVersion),
    type: 'access.changed' as const,
    data: { principal: t.principal, scope: s.scope, granted: s.granted, revoked: s.revoked, effectiveAt },
  }));
}

/**
 * What the recompute calls before it stores a batch of documents: one insert of every draft of the
 * batch (none when nothing changed). Keys are counted only for users losing everything, which is rare.
 */
export function createAccessEvents(deps: {
  recorder: Pick<EventRecorder, 'record'>;
  liveKeysOf: (orgId: string, userId: string) => Promise<number>;
}) {
  async function record(transitions: AccessTransition[], changeId: string | null): Promise<void> {
    const drafts: EventDraft[] = [];
    for (const t of transitions) {
      const diff = diffAccess(t.previous, t.next);
      if (diff.kind === 'none') continue;
      const keys = diff.kind === 'revoked' && t.principal.type === 'user' ? await deps.liveKeysOf(t.orgId, t.principal.id) : 0;
      drafts.push(...accessEventsOf(t, changeId, keys));
    }
    await deps.recorder.record(drafts);
  }

  return { record };
}

export type AccessEvents = ReturnType<typeof createAccessEvents>;
