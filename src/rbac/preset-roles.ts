// The five preset roles of the permission table. Their grants are read off the table's columns in catalog.data.ts,
// never listed here, so a change to the table changes the roles with it.
import { PERMISSION_CATALOG, type CatalogArea, type PresetRoleKey } from './catalog.data';
import { permissionIdOf, type PermissionId } from './catalog';

export type PresetRoleId = `preset:${PresetRoleKey}`;

export interface PresetRole {
  readonly id: PresetRoleId;
  readonly name: string;
  readonly scope: 'organization' | 'project';
  readonly description: string;
  /** In catalog order. */
  readonly permissions: readonly PermissionId[];
}

const catalog: readonly CatalogArea[] = PERMISSION_CATALOG;

function permissionsGrantedTo(role: PresetRoleKey): readonly PermissionId[] {
  return Object.freeze(
    catalog.flatMap((area) =>
      area.actions
        .filter((a) => a.grantedBy.includes(role))
        .map((a) => permissionIdOf(area, a.action) as PermissionId),
    ),
  );
}

function presetRole(key: PresetRoleKey, name: string, scope: PresetRole['scope'], description: string): PresetRole {
  const id: PresetRoleId = `preset:${key}`;
  return Object.freeze({ id, name, scope, description, permissions: permissionsGrantedTo(key) });
}

export const PRESET_ROLES: readonly PresetRole[] = Object.freeze([
  presetRole(
    'org-owner',
    'Org owner',
    'organization',
    'Every permission in the organization and all of its projects, including organization settings and security.',
  ),
  presetRole(
    'org-reader',
    'Org reader',
    'organization',
    'Makes model requests and works with the API resources of every project; reads groups, roles, webhooks and ' +
      'Agent Builder. No administration, organization settings or usage.',
  ),
  presetRole(
    'project-owner',
    'Project owner',
    'project',
    'Every project-level permission in one project, including its users, service accounts and API keys.',
  ),
  presetRole(
    'project-member',
    'Project member',
    'project',
    'Makes model requests and changes the API resources, groups and roles of one project; ' +
      'no project administration or service accounts.',
  ),
  presetRole(
    'project-viewer',
    'Project viewer',
    'project',
    'Reads most resources of one project (not vector stores, responses or videos); ' +
      'makes no model requests and changes nothing.',
  ),
]);

const byId: ReadonlyMap<string, PresetRole> = new Map(PRESET_ROLES.map((r) => [r.id, r]));

export function presetRoleById(id: string): PresetRole | undefined {
  return byId.get(id);
}

export function isPresetRoleId(id: unknown): id is PresetRoleId {
  return typeof id === 'string' && byId.has(id);
}
