import type { Model } from 'mongoose';
import { Conflict, NotFound } from '../shared/errors';
import { newId } from '../shared/ids';
import type { BindingStore } from './binding.store';
import { getInOrg, insertUnique, updateUnique } from './org-documents';
import { scopeKeyOf, type CustomRoleDoc, type PolicyDoc, type ScopeDoc } from './rbac.models';

export type RoleStore = ReturnType<typeof createRoleStore>;

type Edit = { name?: string; description?: string; permissions?: string[]; policyIds?: string[] };

/** Owner of the custom roles and the policies they include. */
export function createRoleStore(deps: { roles: Model<CustomRoleDoc>; policies: Model<PolicyDoc>; bindings: Pick<BindingStore, 'roleIsBound'> }) {
  const { roles, policies } = deps;

  // --- policies -------------------------------------------------------------------------------
  async function createPolicy(orgId: string, input: { name: string; description?: string; permissions: string[] }): Promise<PolicyDoc> {
    const now = new Date();
    const doc: PolicyDoc = {
      _id: newId(),
      orgId,
      name: input.name,
      nameKey: input.name.toLowerCase(),
      description: input.description ?? '',
      permissions: [...new Set(input.permissions)],
      createdAt: now,
      updatedAt: now,
    };
    return insertUnique(policies, doc, 'Policy', `a policy named "${input.name}" already exists`);
  }
  async function getPolicy(orgId: string, id: string): Promise<PolicyDoc> {
    return getInOrg(policies, orgId, id, 'policy');
  }
  async function listPolicies(orgId: string): Promise<PolicyDoc[]> {
    return policies.find({ orgId }).sort({ createdAt: 1 }).lean<PolicyDoc[]>();
  }
  async function updatePolicy(orgId: string, id: string, patch: Omit<Edit, 'policyIds'>): Promise<PolicyDoc> {
    return updateUnique(policies, { orgId, id, what: 'policy' }, { $set: editedFields(patch) }, {
      sameName: patch.name !== undefined ? { nameKey: patch.name.toLowerCase() } : null,
      conflict: () => new Conflict('Policy', `a policy named "${patch.name}" already exists`),
    });
  }
  async function deletePolicy(orgId: string, id: string): Promise<void> {
    const inUse = await roles.exists({ orgId, policyIds: id });
    if (inUse) throw new Conflict('Policy', 'the policy is used by a role; remove it from the role first');
    const res = await policies.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`policy ${id}`);
  }
  async function findPolicy(orgId: string, id: string): Promise<PolicyDoc | null> {
    return policies.findOne({ _id: id, orgId }).lean<PolicyDoc>();
  }

  // --- custom roles ---------------------------------------------------------------------------
  async function createRole(
    orgId: string,
    input: { name: string; description?: string; scope: ScopeDoc; permissions: string[]; policyIds: string[] },
  ): Promise<CustomRoleDoc> {
    const now = new Date();
    const doc: CustomRoleDoc = {
      _id: newId(),
      orgId,
      scope: input.scope,
      scopeKey: scopeKeyOf(input.scope),
      name: input.name,
      nameKey: input.name.toLowerCase(),
      description: input.description ?? '',
      permissions: [...new Set(input.permissions)],
      policyIds: [...new Set(input.policyIds)],
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return insertUnique(roles, doc, 'Role', `a role named "${input.name}" already exists in this scope`);
  }
  async function getRole(orgId: string, id: string): Promise<CustomRoleDoc> {
    return getInOrg(roles, orgId, id, 'role');
  }
  async function listRoles(orgId: string): Promise<CustomRoleDoc[]> {
    return roles.find({ orgId }).sort({ createdAt: 1 }).lean<CustomRoleDoc[]>();
  }
  async function updateRole(orgId: string, id: string, patch: Edit): Promise<CustomRoleDoc> {
    // Role names are unique within the role's scope, which the patch does not carry.
    const current = patch.name !== undefined ? await roles.findOne({ _id: id, orgId }, { scopeKey: 1 }).lean<Pick<CustomRoleDoc, 'scopeKey'>>() : null;
    return updateUnique(roles, { orgId, id, what: 'role' }, { $set: editedFields(patch), $inc: { version: 1 } }, {
      sameName: current && patch.name !== undefined ? { scopeKey: current.scopeKey, nameKey: patch.name.toLowerCase() } : null,
      conflict: () => new Conflict('Role', `a role named "${patch.name}" already exists in this scope`),
    });
  }
  async function deleteRole(orgId: string, id: string): Promise<void> {
    if (await deps.bindings.roleIsBound(orgId, id)) {
      throw new Conflict('Role', 'the role is still bound; remove its bindings first');
    }
    const res = await roles.deleteOne({ _id: id, orgId });
    if (res.deletedCount === 0) throw new NotFound(`role ${id}`);
  }
  async function findRole(orgId: string, id: string): Promise<CustomRoleDoc | null> {
    return roles.findOne({ _id: id, orgId }).lean<CustomRoleDoc>();
  }

  return { createPolicy, getPolicy, listPolicies, updatePolicy, deletePolicy, findPolicy, createRole, getRole, listRoles, updateRole, deleteRole, findRole };
}

/** The `$set` of an edit: only the fields it names, a name with its lookup key, lists without repeats. */
function editedFields(patch: Edit): Record<string, unknown> {
  const set: Record<string, unknown> = { updatedAt: new Date() };
  if (patch.name !== undefined) Object.assign(set, { name: patch.name, nameKey: patch.name.toLowerCase() });
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.permissions !== undefined) set.permissions = [...new Set(patch.permissions)];
  if (patch.policyIds !== undefined) set.policyIds = [...new Set(patch.policyIds)];
  return set;
}
