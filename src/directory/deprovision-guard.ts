// The mass-deprovisioning threshold: counts a directory's deactivations and deletions in a sliding
// window and says which of them to hold, and records the holds. The user service asks it before it
// stores a deprovision; list, approve and discard live in deprovision-guard-staging.ts.
import type { Redis } from 'ioredis';
import type { Model } from 'mongoose';
import type { AuditLog } from '../audit/audit.service';
import type { EventRecorder } from '../events/event-recorder';
import { eventId } from '../events/event-ids';
import type { Logger } from '../shared/logger';
import { newId } from '../shared/ids';
import type { ChangeDoc } from '../propagation/change.model';
import type { DirectoryContext } from './context';
import type { DeprovisionGuardModels, DeprovisionGuardSettingsDoc, HeldKind } from './deprovision-guard.model';
import type { UserDoc } from './models';

export interface DeprovisionGuardSettings {
  enabled: boolean;
  /** Held once more than this share of the directory's active users are deprovisioned in the window. */
  percent: number;
  /** ... or more than this many. */
  count: number;
  windowMinutes: number;
}

export const DEFAULT_GUARD: Readonly<DeprovisionGuardSettings> = Object.freeze({ enabled: true, percent: 30, count: 500, windowMinutes: 10 });

/**
 * The percent rule never holds fewer deprovisions than this: in a team of six, two leavers in one
 * afternoon are offboarding, not a runaway IdP. An explicit `count` below it still applies.
 */
export const PERCENT_FLOOR = 10;

/** The active-user base of the percent rule is read at most this often per directory and process. */
const BASE_TTL_MS = 60_000;
/** A Redis that does not answer within this lets the deprovision through: SCIM writes never wait on the guard. */
const REDIS_TIMEOUT_MS = 2000;

export interface AdmitDecision {
  held: boolean;
  /** This deprovision crossed the threshold: the first one held in the burst announces it. */
  announce: boolean;
  /** How many deprovisions the window held when this one was counted, and how many pass. */
  inWindow: number;
  allowed: number;
}

// One atomic step per deprovision, so concurrent SCIM requests on any number of instances get distinct
// positions: drop what left the window, add this one, count, and (once over) claim the burst's announcement.
const ADMIT_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local announce = 0
if n > tonumber(ARGV[4]) then
  if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[2]) then announce = 1 end
end
return {n, announce}`;

export type DeprovisionGuard = ReturnType<typeof createDeprovisionGuard>;

export function createDeprovisionGuard(deps: {
  models: DeprovisionGuardModels;
  changes: Model<ChangeDoc>;
  redis: Redis;
  prefix: string;
  /** Active users of the directory now (the percent rule's base). */
  countActive: (directoryId: string) => Promise<number>;
  audit: Pick<AuditLog, 'record'>;
  events?: Pick<EventRecorder, 'record'>;
  /** Queues changes for the workers (a released hold's changes). */
  notify: (orgId: string, changeIds: string[]) => void;
  onHeld?: (kind: HeldKind) => void;
  log: Logger;
}) {
  const { holds, settings } = deps.models;
  const bases = new Map<string, { active: number; at: number }>();

  async function settingsOf(orgId: string, directoryId: string): Promise<DeprovisionGuardSettings> {
    const doc = await settings.findOne({ _id: directoryId }).lean<DeprovisionGuardSettingsDoc>();
    if (!doc || doc.orgId !== orgId) return { ...DEFAULT_GUARD };
    return { enabled: doc.enabled, percent: doc.percent, count: doc.count, windowMinutes: doc.windowMinutes };
  }

  async function updateSettings(orgId: string, directoryId: string, patch: Partial<DeprovisionGuardSettings>): Promise<DeprovisionGuardSettings> {
    const next = { ...(await settingsOf(orgId, directoryId)), ...patch };
    // One document per directory, replaced whole: no counter, nothing FerretDB could lose.
    await settings.replaceOne({ _id: directoryId }, { _id: directoryId, orgId, ...next, updatedAt: new Date() }, { upsert: true });
    return next;
  }

  async function activeBase(directoryId: string): Promise<number> {
    const cached = bases.get(directoryId);
    if (cached && Date.now() - cached.at < BASE_TTL_MS) return cached.active;
    const active = await deps.countActive(directoryId);
    bases.set(directoryId, { active, at: Date.now() });
    if (bases.size > 10_000) bases.delete(bases.keys().next().value!);
    return active;
  }

  /** How many deprovisions of a window pass before the rest are held. */
  function allowedOf(s: DeprovisionGuardSettings, activeBefore: number): number {
    const byPercent = Math.max(PERCENT_FLOOR, Math.floor((s.percent / 100) * activeBefore));
    return Math.max(1, Math.min(s.count, byPercent));
  }

  /**
   * Whether this deprovision is held. A user already held stays held (its second deprovision is not
   * counted again). Fails open: an unreachable Redis or store applies the deprovision as before the guard.
   */
  async function admit(ctx: DirectoryContext, userId: string): Promise<AdmitDecision> {
    const pass = { held: false, announce: false, inWindow: 0, allowed: 0 };
    try {
      if (await holds.exists({ _id: userId })) return { ...pass, held: true };
      const s = await settingsOf(ctx.orgId, ctx.directoryId);
      if (!s.enabled) return pass;
      const windowMs = s.windowMinutes * 60_000;
      // Active now plus those already counted: the directory as it was when the burst began.
      const key = `${deps.prefix}:deprov:${ctx.directoryId}`;
      const [active, counted] = await Promise.all([activeBase(ctx.directoryId), withTimeout(deps.redis.zcard(key))]);
      const allowed = allowedOf(s, active + counted);
      const [n, announce] = (await withTimeout(
        deps.redis.eval(ADMIT_SCRIPT, 2, key, `${deps.prefix}:deprov-held:${ctx.directoryId}`, Date.now(), windowMs, `${userId}|${newId()}`, allowed),
      )) as [number, number];
      return { held: n > allowed, announce: announce === 1, inWindow: n, allowed };
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, directoryId: ctx.directoryId }, 'deprovision guard unavailable; applying the deprovision');
      return pass;
    }
  }

  /**
   * Stores the hold before the directory write it describes, so an access check never sees the user
   * deprovisioned without also seeing the hold. Then the audit record, and the event once per burst.
   */
  async function hold(
    ctx: DirectoryContext,
    input: { user: UserDoc; kind: HeldKind; changeIds: string[]; decision: AdmitDecision; groupIds?: string[] },
  ): Promise<void> {
    const { user, kind, changeIds, decision } = input;
    const existing = await holds.findOne({ _id: user._id }).lean();
    await holds.replaceOne(
      { _id: user._id },
      {
        _id: user._id,
        orgId: ctx.orgId,
        directoryId: ctx.directoryId,
        userName: user.userName,
        userNameKey: user.userNameKey,
        kind,
        changeIds: [...(existing?.changeIds ?? []), ...changeIds],
        heldAt: existing?.heldAt ?? new Date(),
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...(kind === 'user.deleted' ? { snapshot: { user, groupIds: input.groupIds ?? [] } } : {}),
      },
      { upsert: true },
    );
    deps.onHeld?.(kind);
    await deps.audit.record({
      orgId: ctx.orgId,
      actor: { type: 'directoryToken', id: ctx.directoryId },
      action: 'directory.deprovision_staged',
      target: { type: 'user', id: user._id, display: user.userName },
      summary: { kind, directoryId: ctx.directoryId, inWindow: decision.inWindow, allowed: decision.allowed },
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      changeId: changeIds[0],
    });
    if (decision.announce) {
      deps.log.warn({ directoryId: ctx.directoryId, inWindow: decision.inWindow, allowed: decision.allowed }, 'mass deprovisioning held for approval');
      const s = await settingsOf(ctx.orgId, ctx.directoryId);
      await deps.events?.record([
        {
          _id: eventId('directory.deprovisioning_held', ctx.directoryId, changeIds[0]),
          type: 'directory.deprovisioning_held',
          orgId: ctx.orgId,
          directoryId: ctx.directoryId,
          subject: { type: 'directory', id: ctx.directoryId },
          changeId: changeIds[0] ?? null,
          requestId: ctx.requestId || null,
          actor: { type: 'system', id: 'deprovision-guard' },
          data: { directoryId: ctx.directoryId, firstHeldUserId: user._id, deprovisionsInWindow: decision.inWindow, allowed: decision.allowed, threshold: s },
          occurredAt: new Date(),
        },
      ]);
    }
  }

  /**
   * The IdP reactivated a held user: the deprovision it held is moot. The hold goes, and its changes are
   * queued (reconciliation is level-triggered: they recompute the user as it is now, active).
   */
  async function released(orgId: string, userId: string): Promise<void> {
    const doc = await holds.findOne({ _id: userId, orgId }).lean();
    if (!doc) return;
    await holds.deleteOne({ _id: userId, orgId });
    for (const id of doc.changeIds) await deps.changes.updateOne({ _id: id, status: 'staged' }, { $set: { status: 'pending' } });
    deps.notify(orgId, doc.changeIds);
  }

  return { settingsOf, updateSettings, admit, hold, released };
}

async function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('redis timeout')), REDIS_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}
