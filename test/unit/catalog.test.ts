import { PERMISSION_CATALOG } from '../../src/rbac/catalog.data';
import {
  ORG_LEVEL_PERMISSIONS,
  PERMISSIONS,
  PROJECT_LEVEL_PERMISSIONS,
  isPermissionId,
  permissionById,
} from '../../src/rbac/catalog';
import { PRESET_ROLES, isPresetRoleId, presetRoleById } from '../../src/rbac/preset-roles';

// The platform permission table as reconstructed in docs/permission-catalog.md, transcribed by hand in the table's
// own notation, so the catalog data is checked against an independent copy rather than against itself.
// Columns: area, id prefix, org owner, org reader, project owner, project member, project viewer, eligible, level.
type Level = 'organization' | 'project';
type TableRow = [string, string, string, string, string, string, string, boolean, Level];

const RW = 'Read, Write';
const TABLE: TableRow[] = [
  ['List models', 'api.model', 'Read', 'Read', 'Read', 'Read', 'Read', true, 'project'],
  ['Groups', 'api.group', RW, 'Read', RW, RW, 'Read', false, 'project'],
  ['Roles', 'api.role', RW, 'Read', RW, RW, 'Read', false, 'project'],
  ['Organization Admin', 'api.organization_admin', RW, '', '', '', '', false, 'organization'],
  ['Usage', 'api.usage', 'Read', '', '', '', '', true, 'organization'],
  ['External Keys', 'api.external_key', RW, '', '', '', '', false, 'organization'],
  ['IP allowlist', 'api.ip_allowlist', RW, '', '', '', '', false, 'organization'],
  ['mTLS', 'api.mtls', RW, '', '', '', '', false, 'organization'],
  ['OIDC', 'api.oidc', RW, '', '', '', '', false, 'organization'],
  ['Model capabilities', 'api.model_capability', 'Request', 'Request', 'Request', 'Request', '', true, 'project'],
  ['Assistants', 'api.assistant', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Threads', 'api.thread', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Evals', 'api.eval', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Fine-tuning', 'api.fine_tuning', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Files', 'api.file', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Vector Stores', 'api.vector_store', RW, RW, RW, RW, '', true, 'project'],
  ['Responses API', 'api.response', RW, RW, RW, RW, '', true, 'project'],
  ['Prompts', 'api.prompt', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Webhooks', 'api.webhook', RW, 'Read', RW, RW, 'Read', true, 'project'],
  ['Datasets', 'api.dataset', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Apps', 'api.app', RW, '', '', '', '', true, 'organization'],
  ['Tunnels', 'api.tunnel', 'Read, Use, Manage', '', '', '', '', true, 'organization'],
  ['Project API Keys', 'api.project_api_key', RW, RW, RW, RW, 'Read', true, 'project'],
  ['Project Administration', 'api.project_administration', RW, '', RW, '', '', false, 'project'],
  ['Batch', 'api.batch', RW, RW, RW, RW, 'Read', false, 'project'],
  ['Service Accounts', 'api.service_account', RW, '', RW, '', '', false, 'project'],
  ['Videos', 'api.video', RW, RW, RW, RW, '', false, 'project'],
  ['Voices', 'api.voice', RW, RW, RW, RW, 'Read', false, 'project'],
  ['Agent Builder', 'api.agent_builder', RW, 'Read', RW, RW, 'Read', true, 'project'],
];

const ROLE_COLUMNS = [
  'preset:org-owner',
  'preset:org-reader',
  'preset:project-owner',
  'preset:project-member',
  'preset:project-viewer',
] as const;

/** "Read, Write" in the row of api.file -> ['api.file.read', 'api.file.write']. */
function idsOfCell(prefix: string, cell: string): string[] {
  return cell === '' ? [] : cell.split(', ').map((word) => `${prefix}.${word.toLowerCase()}`);
}

/** The five role cells of a row, in ROLE_COLUMNS order. */
const roleCellsOf = (row: TableRow): string[] => [row[2], row[3], row[4], row[5], row[6]];

/** What the transcribed table says one preset role column grants, in table order. */
function expectedGrantsOf(roleId: (typeof ROLE_COLUMNS)[number]): string[] {
  const column = ROLE_COLUMNS.indexOf(roleId);
  return TABLE.flatMap((row) => idsOfCell(row[1], roleCellsOf(row)[column]));
}

const grantsOf = (roleId: string): readonly string[] => presetRoleById(roleId)?.permissions ?? [];
const idsOfArea = (area: string): string[] => PERMISSIONS.filter((p) => p.area === area).map((p) => p.id);

describe('permission catalog, row by row against the seed table', () => {
  it('has exactly the rows of the table, in its order', () => {
    expect(PERMISSION_CATALOG.map((a) => a.area)).toEqual(TABLE.map((row) => row[0]));
  });

  it.each(TABLE)(
    '%s (%s) grants org owner "%s", org reader "%s", project owner "%s", project member "%s", project viewer "%s"',
    (...row) => {
      const [area, prefix, , , , , , isEligible, level] = row;
      const cells = roleCellsOf(row);

      ROLE_COLUMNS.forEach((roleId, column) => {
        const granted = grantsOf(roleId).filter((id) => id.startsWith(`${prefix}.`));
        expect({ roleId, granted }).toEqual({ roleId, granted: idsOfCell(prefix, cells[column]) });
      });

      // The area's permissions are exactly the actions some column names.
      const union = new Set(cells.flatMap((cell) => idsOfCell(prefix, cell)));
      expect(new Set(idsOfArea(area))).toEqual(union);
      for (const id of idsOfArea(area)) {
        expect(permissionById(id)).toMatchObject({ area, level, customRoleEligible: isEligible });
      }
    },
  );
});

describe('preset roles, column by column against the seed table', () => {
  it.each([
    ['preset:org-owner', 'Org owner', 'organization'],
    ['preset:org-reader', 'Org reader', 'organization'],
    ['preset:project-owner', 'Project owner', 'project'],
    ['preset:project-member', 'Project member', 'project'],
    ['preset:project-viewer', 'Project viewer', 'project'],
  ] as const)('%s (%s, %s scope) grants exactly its column of the table', (id, name, scope) => {
    const role = presetRoleById(id);
    expect(role).toMatchObject({ id, name, scope, description: expect.any(String) });
    expect(role?.permissions).toEqual(expectedGrantsOf(id));
  });

  it('are the five roles of the table and no others', () => {
    expect(PRESET_ROLES.map((r) => r.id)).toEqual([...ROLE_COLUMNS]);
  });

  it('give the org owner every permission of the catalog', () => {
    expect(grantsOf('preset:org-owner')).toEqual(PERMISSIONS.map((p) => p.id));
  });

  it('never give a project role an organization-only permission', () => {
    const orgOnly = new Set(ORG_LEVEL_PERMISSIONS.map((p) => p.id));
    for (const role of PRESET_ROLES.filter((r) => r.scope === 'project')) {
      expect({ role: role.id, orgOnly: role.permissions.filter((id) => orgOnly.has(id)) }).toEqual({
        role: role.id,
        orgOnly: [],
      });
    }
  });

  it('let a project viewer read but never write, request, use or manage', () => {
    const actions = new Set(grantsOf('preset:project-viewer').map((id) => permissionById(id)?.action));
    expect(actions).toEqual(new Set(['read']));
  });

  it('nest: viewer within member within owner, and org reader within org owner', () => {
    const chains = [
      ['preset:project-viewer', 'preset:project-member'],
      ['preset:project-member', 'preset:project-owner'],
      ['preset:project-owner', 'preset:org-owner'],
      ['preset:org-reader', 'preset:org-owner'],
    ];
    for (const [lower, upper] of chains) {
      const upperGrants = new Set(grantsOf(upper));
      expect({ lower, upper, missing: grantsOf(lower).filter((id) => !upperGrants.has(id)) }).toEqual({
        lower,
        upper,
        missing: [],
      });
    }
  });

  it('keep Project Administration and Service Accounts for owners only', () => {
    for (const id of [
      'api.project_administration.read',
      'api.project_administration.write',
      'api.service_account.read',
      'api.service_account.write',
    ]) {
      const holders = PRESET_ROLES.filter((r) => r.permissions.includes(id as never)).map((r) => r.id);
      expect(holders).toEqual(['preset:org-owner', 'preset:project-owner']);
    }
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PRESET_ROLES)).toBe(true);
    for (const role of PRESET_ROLES) {
      expect(Object.isFrozen(role)).toBe(true);
      expect(Object.isFrozen(role.permissions)).toBe(true);
    }
    expect(() => (PRESET_ROLES[0].permissions as string[]).push('api.made_up.read')).toThrow(TypeError);
  });

  it('only grant permissions the catalog defines', () => {
    for (const role of PRESET_ROLES) for (const id of role.permissions) expect(isPermissionId(id)).toBe(true);
  });

  it('are found by id, and nothing else is', () => {
    expect(presetRoleById('preset:project-member')?.name).toBe('Project member');
    expect(isPresetRoleId('preset:project-member')).toBe(true);
    expect(presetRoleById('preset:admin')).toBeUndefined();
    expect(isPresetRoleId('project-member')).toBe(false);
    expect(isPresetRoleId(42)).toBe(false);
  });
});

describe('permission ids', () => {
  it('are unique', () => {
    const ids = PERMISSIONS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('are well formed: api.<key>.<action> with a lower-case snake_case key', () => {
    for (const p of PERMISSIONS) {
      expect(p.id).toMatch(/^api\.[a-z][a-z0-9]*(_[a-z0-9]+)*\.(read|write|request|use|manage)$/);
      expect(p.id.endsWith(`.${p.action}`)).toBe(true);
    }
  });

  it('keep the one id the seed spells out: api.model.read is List models Read', () => {
    expect(permissionById('api.model.read')).toEqual({
      id: 'api.model.read',
      area: 'List models',
      action: 'read',
      level: 'project',
      customRoleEligible: true,
      description: 'List models Read: List models this organization has access to',
    });
  });

  it('use one key per area', () => {
    const keys = PERMISSION_CATALOG.map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('are recognised only when the catalog defines them', () => {
    expect(isPermissionId('api.file.write')).toBe(true);
    expect(isPermissionId('api.model.write')).toBe(false); // List models has no Write
    expect(isPermissionId('api.models.read')).toBe(false);
    expect(isPermissionId('API.MODEL.READ')).toBe(false);
    expect(isPermissionId(undefined)).toBe(false);
    expect(permissionById('api.tunnel.use')).toMatchObject({ area: 'Tunnels', action: 'use', level: 'organization' });
    expect(permissionById('files:write')).toBeUndefined();
  });
});

describe('permission levels', () => {
  it('split the catalog in two: organization-only and project-level', () => {
    const org = ORG_LEVEL_PERMISSIONS.map((p) => p.id);
    const project = PROJECT_LEVEL_PERMISSIONS.map((p) => p.id);
    expect(org.filter((id) => project.includes(id))).toEqual([]);
    expect(new Set([...org, ...project])).toEqual(new Set(PERMISSIONS.map((p) => p.id)));
    expect(ORG_LEVEL_PERMISSIONS.every((p) => p.level === 'organization')).toBe(true);
    expect(PROJECT_LEVEL_PERMISSIONS.every((p) => p.level === 'project')).toBe(true);
  });

  it('make a permission project-level exactly when some project role holds it', () => {
    const heldInProjects = new Set(PRESET_ROLES.filter((r) => r.scope === 'project').flatMap((r) => r.permissions));
    for (const p of PERMISSIONS) {
      const expected = heldInProjects.has(p.id) ? 'project' : 'organization';
      expect({ id: p.id, level: p.level }).toEqual({ id: p.id, level: expected });
    }
  });

  it('carry each area’s custom-role eligibility onto all of its permissions', () => {
    for (const area of PERMISSION_CATALOG) {
      for (const id of idsOfArea(area.area)) {
        expect(permissionById(id)?.customRoleEligible).toBe(area.customRoleEligible);
      }
    }
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PERMISSIONS)).toBe(true);
    expect(PERMISSIONS.every((p) => Object.isFrozen(p))).toBe(true);
  });
});
