import type { Connection, Model } from 'mongoose';
import { defineCollection } from '../shared/define-collection';
import type { UserDoc } from './models';

export type HeldKind = 'user.deactivated' | 'user.deleted';

/**
 * A user whose deprovisioning the IdP sent during a burst above the directory's threshold: accepted
 * and stored in the directory, but its access effect held until an admin approves or discards it.
 * One document per user (`_id` is the user id), so "is this user held?" is a point read and a
 * second deprovision of the same user (deactivate, then delete) updates the same hold.
 */
export interface DeprovisionHoldDoc {
  _id: string;
  orgId: string;
  directoryId: string;
  userName: string;
  userNameKey: string;
  /** The latest deprovision the IdP sent (a held deactivation followed by a delete is a held delete). */
  kind: HeldKind;
  /** The recorded changes, status 'staged': never queued, swept or applied until approved. */
  changeIds: string[];
  heldAt: Date;
  requestId?: string;
  /** A held delete keeps what discarding needs to restore the user: the document and its direct groups. */
  snapshot?: { user: UserDoc; groupIds: string[] };
}

/** A directory's threshold, when an admin changed it (absent: the defaults). `_id` is the directory id. */
export interface DeprovisionGuardSettingsDoc {
  _id: string;
  orgId: string;
  enabled: boolean;
  percent: number;
  count: number;
  windowMinutes: number;
  updatedAt: Date;
}

export interface DeprovisionGuardModels {
  holds: Model<DeprovisionHoldDoc>;
  settings: Model<DeprovisionGuardSettingsDoc>;
}

export function deprovisionGuardModels(conn: Connection): DeprovisionGuardModels {
  return {
    holds: defineCollection<DeprovisionHoldDoc>(conn, 'DeprovisionHold', 'deprovision_holds', {
      fields: { _id: String, orgId: String, directoryId: String, userNameKey: String, heldAt: Date },
      strict: false,
      // Equality lookups only (FerretDB v1 pushes nothing else down): a directory's holds, an org's, a userName's.
      indexes: [[{ directoryId: 1 }], [{ orgId: 1, userNameKey: 1 }]],
    }),
    settings: defineCollection<DeprovisionGuardSettingsDoc>(conn, 'DeprovisionGuardSettings', 'deprovision_guard_settings', {
      fields: { _id: String, orgId: String, enabled: Boolean, percent: Number, count: Number, windowMinutes: Number, updatedAt: Date },
    }),
  };
}
