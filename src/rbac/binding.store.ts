import type { Model } from 'mongoose';
import { newId } from '../shared/ids';
import { getInOrg } from './org-documents';
import { scopeKeyOf, type BindingDoc, type PrincipalType, type ScopeDoc } from './rbac.models';

export type BindingStore = ReturnType<typeof createBindingStore>;

/** Owner of the role bindings: which principal holds which role in which scope. */
export function createBindingStore(deps: { bindings: Model<BindingDoc> }) {
  const { bindings } = deps;

  async function createBinding(
    orgId: string,
    input: { principalType: PrincipalType; principalId: string; principalDisplay?: string; scope: ScopeDoc; roleId: string },
  ): Promise<{ binding: BindingDoc; created: boolean }> {
    const existing = await bindings
      .findOne({
        orgId,
        principalType: input.principalType,
        principalId: input.principalId,
        scopeKey: scopeKeyOf(input.scope),
        roleId: input.roleId,
      })
      .lean<BindingDoc>();
    if (existing) return { binding: existing, created: false };
    const doc: BindingDoc = {
      _id: newId(),
      orgId,
      principalType: input.principalType,
      principalId: input.principalId,
      ...(input.principalDisplay ? { principalDisplay: input.principalDisplay } : {}),
      scope: input.scope,
      scopeKey: scopeKeyOf(input.scope),
      roleId: input.roleId,
      createdAt: new Date(),
    };
    await bindings.collection.insertOne(doc as never);
    return { binding: doc, created: true };
  }
  async function getBinding(orgId: string, id: string): Promise<BindingDoc> {
    return getInOrg(bindings, orgId, id, 'binding');
  }
  async function listBindings(
    orgId: string,
    filter: { principalType?: PrincipalType; principalId?: string; roleId?: string; projectId?: string } = {},
  ): Promise<BindingDoc[]> {
    const q: Record<string, unknown> = { orgId };
    if (filter.principalType) q.principalType = filter.principalType;
    if (filter.principalId) q.principalId = filter.principalId;
    if (filter.roleId) q.roleId = filter.roleId;
    if (filter.projectId) q.scopeKey = filter.projectId;
    return bindings.find(q).sort({ createdAt: 1 }).lean<BindingDoc[]>();
  }
  async function deleteBinding(orgId: string, id: string): Promise<BindingDoc> {
    const b = await getBinding(orgId, id);
    await bindings.deleteOne({ _id: id, orgId });
    return b;
  }
  /** A principal that is deleted takes its bindings with it. */
  async function deleteBindingsOf(orgId: string, principalType: PrincipalType, principalId: string): Promise<void> {
    await bindings.deleteMany({ orgId, principalType, principalId });
  }
  async function roleIsBound(orgId: string, roleId: string): Promise<boolean> {
    return (await bindings.exists({ orgId, roleId })) !== null;
  }
  /** Bindings that can reach a user: its own and those of its groups. */
  async function bindingsForPrincipals(orgId: string, principals: Array<{ type: PrincipalType; id: string }>): Promise<BindingDoc[]> {
    if (principals.length === 0) return [];
    return bindings
      .find({ orgId, $or: principals.map((p) => ({ principalType: p.type, principalId: p.id })) })
      .lean<BindingDoc[]>();
  }

  return { createBinding, getBinding, listBindings, deleteBinding, deleteBindingsOf, roleIsBound, bindingsForPrincipals };
}
