// Shapes of the mass-deprovisioning safety valve routes (.../deprovision-guard, .../staged).

export interface GuardSettings {
  enabled: boolean;
  percent: number;
  count: number;
  windowMinutes: number;
}

export interface StagedUser {
  userId: string;
  userName: string;
  kind: 'user.deactivated' | 'user.deleted';
  heldAt: string;
  changeIds: string[];
  requestId: string | null;
}

export interface StagedList {
  directoryId: string;
  total: number;
  users: StagedUser[];
}

export interface StagedCounts {
  directories: Array<{ directoryId: string; total: number }>;
}

export interface StagingOutcome {
  approved?: string[];
  discarded?: string[];
  moot: string[];
  notRestored: string[];
}
