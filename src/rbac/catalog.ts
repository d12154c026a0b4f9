// Permissions, derived from the catalog data (catalog.data.ts). Nothing here lists a permission by hand.
import {
  PERMISSION_CATALOG,
  type CatalogArea,
  type PermissionAction,
  type PermissionLevel,
} from './catalog.data';

export type { PermissionAction, PermissionLevel } from './catalog.data';

type CatalogEntry = (typeof PERMISSION_CATALOG)[number];
type IdsOf<E> = E extends { key: infer K extends string; actions: readonly (infer A)[] }
  ? A extends { action: infer Act extends string }
    ? `api.${K}.${Act}`
    : never
  : never;

/** Every permission id the catalog defines, as a union of string literals (`'api.model.read' | ...`). */
export type PermissionId = IdsOf<CatalogEntry>;

export interface Permission {
  readonly id: PermissionId;
  /** The display name of the table row it comes from, e.g. "Files". */
  readonly area: string;
  readonly action: PermissionAction;
  readonly level: PermissionLevel;
  readonly customRoleEligible: boolean;
  /** e.g. "Files Write: Create and retrieve files", after the seed's own naming ("Files Write", "Models Request"). */
  readonly description: string;
}

/** The id of one action of one catalog area; `api.model.read` for List models' read, as the seed spells it. */
export function permissionIdOf(area: Pick<CatalogArea, 'key'>, action: PermissionAction): string {
  return `api.${area.key}.${action}`;
}

const capitalized = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

const catalog: readonly CatalogArea[] = PERMISSION_CATALOG;

/** All permissions, in the table's row order and, within a row, its action order. */
export const PERMISSIONS: readonly Permission[] = Object.freeze(
  catalog.flatMap((area) =>
    area.actions.map(({ action }) =>
      Object.freeze({
        id: permissionIdOf(area, action) as PermissionId,
        area: area.area,
        action,
        level: area.level,
        customRoleEligible: area.customRoleEligible,
        description: `${area.area} ${capitalized(action)}: ${area.description}`,
      }),
    ),
  ),
);

const byId: ReadonlyMap<string, Permission> = new Map(PERMISSIONS.map((p) => [p.id, p]));

export function permissionById(id: string): Permission | undefined {
  return byId.get(id);
}

export function isPermissionId(id: unknown): id is PermissionId {
  return typeof id === 'string' && byId.has(id);
}

/** Permissions only organization roles can hold (organization settings, usage, apps, tunnels, ...). */
export const ORG_LEVEL_PERMISSIONS: readonly Permission[] = Object.freeze(
  PERMISSIONS.filter((p) => p.level === 'organization'),
);

/** Permissions a project role can hold. Organization roles hold them too: organization roles apply in every project. */
export const PROJECT_LEVEL_PERMISSIONS: readonly Permission[] = Object.freeze(
  PERMISSIONS.filter((p) => p.level === 'project'),
);
